/// A retrieval signal that contributes candidates to recall.
public enum Signal: String, Sendable, Hashable, CaseIterable, Codable {
    case vector, keyword, graph
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

/// Combines the rankings of several signals into one.
///
/// - `reciprocalRank`: each signal adds `weight / (k + rank)` (Cormack et
///   al. 2009, k = 60). Rank-based: needs no calibration, but gives a weak
///   signal's rank 1 as much as a strong signal's rank 1.
/// - `relativeScore`: each signal's scores are min-max scaled to 0...1 over
///   its own candidates, then added with the weights; a candidate a signal
///   did not return gets 0 from it. Keeps how *much* better a hit is. With
///   fewer than 8 candidates, scores are scaled from 0 to the signal's
///   ceiling (what a perfect hit scores: cosine 1, the keyword query's
///   `KeywordIndex.ceiling`) when it is above the best: a lone weak hit
///   gets a part of the weight, not all of it.
public struct RankFusion: Sendable {
    public enum Method: String, Sendable, CaseIterable, Codable {
        case reciprocalRank = "rrf"
        case relativeScore = "relative"
    }

    public var method: Method
    public var k: Double
    /// Relative scores are min-max scaled only over at least this many candidates.
    public var minScaledCandidates = 8
    public var weights: [Signal: Double]

    public static let defaultWeights: [Signal: Double] = [.vector: 0.5, .keyword: 1.0, .graph: 0.3]

    public init(method: Method = .relativeScore, k: Double = 60, weights: [Signal: Double] = RankFusion.defaultWeights) {
        self.method = method
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
    public func fuse(_ rankings: [Signal: [(key: Int64, score: Double)]], ceilings: [Signal: Double] = [:]) -> [Fused] {
        var fused: [Int64: Fused] = [:]
        for (signal, ranking) in rankings {
            let weight = weights[signal] ?? 0
            guard weight > 0 else { continue }
            let scores = ranking.map(\.score)
            let few = scores.count < minScaledCandidates
            // Among few candidates, the best is not necessarily good: measure against the ceiling.
            let high = max(scores.max() ?? 0, few ? ceilings[signal] ?? 0 : 0)
            // Min-max over a handful of candidates turns a tiny difference into 0 vs 1:
            // below `minScaledCandidates`, scale from 0 instead.
            let low = few ? min(0, scores.min() ?? 0) : scores.min() ?? 0
            for (offset, entry) in ranking.enumerated() {
                let contribution: Double
                switch method {
                case .reciprocalRank: contribution = weight / (k + Double(offset + 1))
                case .relativeScore: contribution = weight * (high > low ? (entry.score - low) / (high - low) : 1)
                }
                let score = SignalScore(rank: offset + 1, score: entry.score, contribution: contribution)
                fused[entry.key, default: Fused(key: entry.key, score: 0, signals: [:])].score += contribution
                fused[entry.key]?.signals[signal] = score
            }
        }
        return fused.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
    }
}
