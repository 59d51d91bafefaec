import Foundation
import MemCube
import MemJSON
import Retrieval

/// Extractive summaries: the most central memories of a cluster that do not
/// repeat each other (maximal marginal relevance against the centroid).
public enum ExtractiveSummary {
    /// The indices of up to `count` members to quote, in their original order.
    public static func pick(vectors: [[Float]], count: Int = 3, lambda: Float = 0.7) -> [Int] {
        guard let dimension = vectors.first?.count, dimension > 0 else { return [] }
        var centroid = [Float](repeating: 0, count: dimension)
        for vector in vectors where vector.count == dimension {
            for i in 0..<dimension { centroid[i] += vector[i] }
        }
        let norm = centroid.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for i in 0..<dimension { centroid[i] /= norm } }
        let centrality = vectors.map { $0.count == dimension ? Double(BLAS.dot($0, centroid, dimension)) : 0 }
        let chosen = MMR.select(relevance: centrality, vectors: vectors, k: count, lambda: Double(lambda))
        return chosen.sorted()
    }

    /// The summary text: the picked memories' sentences, each cut to about
    /// `maxSentence` characters at a word boundary.
    public static func text(of picked: [String], maxSentence: Int = 240) -> String {
        picked.map { text in
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count > maxSentence else { return trimmed.endsWithStop ? trimmed : trimmed + "." }
            let cut = trimmed.prefix(maxSentence)
            let end = cut.lastIndex(of: " ") ?? cut.endIndex
            return String(cut[..<end]) + "…"
        }.joined(separator: " ")
    }
}

extension String {
    var endsWithStop: Bool { last.map { ".!?…".contains($0) } ?? false }
}
