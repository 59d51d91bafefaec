/// A retrieval signal that contributes candidates to recall.
public enum Signal: String, Sendable, Hashable, CaseIterable, Codable {
    case vector, keyword
}

/// A candidate's place in one signal's ranking.
public struct SignalScore: Sendable, Hashable {
    /// 1-based rank within the signal.
    public var rank: Int
    /// The signal's own score: cosine for vector, BM25 for keyword.
    public var score: Double
    /// What this signal added to the fused score.
    public var contribution: Double
}

/// Weighted reciprocal rank fusion: each signal adds `weight / (k + rank)`.
///
/// Rank-based, so signals with incomparable scores (cosine, BM25) combine
/// without calibration. `k` = 60 is the value from Cormack et al. (2009).
public struct RankFusion: Sendable {
    public var k: Double
    public var weights: [Signal: Double]

    public static let defaultWeights: [Signal: Double] = [.vector: 1.0, .keyword: 1.0]

    public init(k: Double = 60, weights: [Signal: Double] = RankFusion.defaultWeights) {
        self.k = k
        self.weights = weights
    }

    public struct Fused: Sendable {
        public var key: Int64
        public var score: Double
        public var signals: [Signal: SignalScore]
    }

    /// Fuses rankings (each best first) into one list, best first; ties
    /// break on the key, so the order is deterministic.
    public func fuse(_ rankings: [Signal: [(key: Int64, score: Double)]]) -> [Fused] {
        var fused: [Int64: Fused] = [:]
        for (signal, ranking) in rankings {
            let weight = weights[signal] ?? 0
            guard weight > 0 else { continue }
            for (offset, entry) in ranking.enumerated() {
                let contribution = weight / (k + Double(offset + 1))
                let score = SignalScore(rank: offset + 1, score: entry.score, contribution: contribution)
                fused[entry.key, default: Fused(key: entry.key, score: 0, signals: [:])].score += contribution
                fused[entry.key]?.signals[signal] = score
            }
        }
        return fused.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
    }
}
