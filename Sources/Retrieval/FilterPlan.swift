import MemStore

/// How a filtered vector search runs, chosen per query by an estimate of
/// the filter's selectivity (the multi-tenant filtered-search problem: a
/// graph walked for a filter that keeps 0.05% of a namespace finds almost
/// nothing that passes, and widening it ends in visiting everything).
///
/// - `graph`: walk the HNSW graph with an ef large enough that about `k`
///   passing nodes are among what it finds (k / selectivity, twice over),
///   dropping what fails; widened ×4 if that still falls short.
/// - `exactCandidates`: the filter's equality, `in` and `exists` conditions
///   name a candidate list (`MetaPostings`); score those exactly.
/// - `exactAll`: nothing narrows the filter (ranges, `ne`, `not`) and it
///   keeps few: check every node's metadata, score the ones that pass.
///
/// Costs are in dot products of the graph's dimension: checking a node's
/// metadata against the filter costs `checkCost` of one; a graph search
/// computes about `dotsPerEf` dot products per unit of ef (M 16, measured
/// with memos-bench filter, docs/benchmarks.md). The exact plans are exact;
/// the graph plan is the only approximate one, and runs only where the
/// filter keeps enough for the graph to find them.
public struct FilterPlan: Sendable, Hashable, CustomStringConvertible {
    public enum Strategy: Sendable, Hashable {
        case graph(ef: Int)
        case exactCandidates
        case exactAll
    }

    public var strategy: Strategy
    /// The nodes the plan starts from: the candidate list, or every node.
    public var domain: Int
    /// The estimated number of live nodes that pass.
    public var estimatedPassing: Int

    public static let checkCost = 0.25
    public static let dotsPerEf = 16.0
    /// Nodes sampled to estimate selectivity.
    public static let sampleSize = 512

    public var description: String {
        switch strategy {
        case .graph(let ef): "graph ef \(ef) (~\(estimatedPassing) of \(domain) pass)"
        case .exactCandidates: "exact over \(domain) candidates"
        case .exactAll: "exact over all \(domain) (~\(estimatedPassing) pass)"
        }
    }

    /// The cheaper of walking the graph and scanning exactly, for a filter
    /// estimated to keep `passing` of `live` nodes. `candidates`: the size of
    /// the filter's candidate list when it has one.
    public static func choose(
        k: Int, live: Int, nodes: Int, candidates: Int?, passing: Int, defaultEf: Int
    ) -> FilterPlan {
        let domain = candidates ?? nodes
        let exact = FilterPlan(strategy: candidates == nil ? .exactAll : .exactCandidates, domain: domain, estimatedPassing: passing)
        guard passing > 0, live > 0 else { return exact }
        let selectivity = min(1, Double(passing) / Double(live))
        let wanted = Double(max(k, 1)) / selectivity * 2
        guard wanted < Double(nodes) / 4 else { return exact }  // the graph would visit most nodes anyway
        let ef = max(defaultEf, k, Int(wanted.rounded(.up)))
        let graphCost = Double(ef) * (dotsPerEf + checkCost)
        let exactCost = Double(domain) * checkCost + Double(passing)
        return exactCost <= graphCost ? exact : FilterPlan(strategy: .graph(ef: ef), domain: domain, estimatedPassing: passing)
    }
}

extension CubeFilter {
    /// True when the filter keeps every memory (expiry aside): a vector
    /// search needs no plan.
    var keepsEverything: Bool {
        tags.isEmpty && agent == nil && session == nil && speaker == nil && since == nil && until == nil
            && kind == nil && tier == nil && model == nil && expression == nil
    }
}
