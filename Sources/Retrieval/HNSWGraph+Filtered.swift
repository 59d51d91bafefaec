import MemCube
import MemStore

// Filtered search over the graph: the exact scans and the per-query plan
// (`FilterPlan`) that chooses between them and walking the graph.

extension HNSWGraph {
    /// The `k` best live nodes passing `accept`, every node scored exactly.
    public func exactScan(_ q: UnsafeBufferPointer<Float>, k: Int, accept: (VectorMeta) -> Bool) -> [(key: Int64, score: Float)] {
        exactScan(q, k: k, nodes: 0..<Int32(keys.count), accept: accept)
    }

    /// The `k` best live nodes among `nodes` passing `accept`, scored exactly.
    func exactScan(
        _ q: UnsafeBufferPointer<Float>, k: Int, nodes: some Sequence<Int32>, accept: (VectorMeta) -> Bool
    ) -> [(key: Int64, score: Float)] {
        var top = TopK<Int64>(k: k)
        for node in nodes where !deleted[Int(node)] && accept(metas[Int(node)]) {
            top.offer(similarity(q, node), keys[Int(node)])
        }
        return top.sorted().map { ($0.item, $0.score) }
    }

    /// The `k` best live nodes passing `filter`, by the plan `plan(k:candidates:accept:)`
    /// chooses: exact over the filter's candidates or over every node when
    /// it keeps few, the graph when it keeps many.
    public func search(_ query: [Float], k: Int, filter: CubeFilter, now: Timestamp) -> (hits: [(key: Int64, score: Float)], plan: FilterPlan?) {
        let accept: (VectorMeta) -> Bool = { $0.matches(filter, now: now) }
        guard entry >= 0, k > 0, query.count == dimension else { return ([], nil) }
        guard !filter.keepsEverything else { return (search(query, k: k, accept: accept), nil) }
        let candidates = postings.candidates(filter)
        let plan = plan(k: k, candidates: candidates, accept: accept)
        if case .graph(let ef) = plan.strategy { return (search(query, k: k, ef: ef, accept: accept), plan) }
        let hits = query.withUnsafeBufferPointer { q in
            candidates.map { exactScan(q, k: k, nodes: $0, accept: accept) } ?? exactScan(q, k: k, accept: accept)
        }
        return (hits, plan)
    }

    /// Estimates how many live nodes pass from an evenly spread sample of
    /// the candidates (or of every node; all of them when there are few), and
    /// picks the cheaper plan.
    func plan(k: Int, candidates: [Int32]?, accept: (VectorMeta) -> Bool) -> FilterPlan {
        let domain = candidates?.count ?? nodeCount
        let samples = min(domain, FilterPlan.sampleSize)
        let step = Double(domain) / Double(max(samples, 1))
        var hits = 0
        for s in 0..<samples {
            let i = min(domain - 1, Int(Double(s) * step))
            let node = candidates.map { Int($0[i]) } ?? i
            if !deleted[node] && accept(metas[node]) { hits += 1 }
        }
        let passing = samples == 0 ? 0 : Int((Double(hits) / Double(samples) * Double(domain)).rounded())
        return FilterPlan.choose(
            k: k, live: count, nodes: nodeCount, candidates: candidates?.count, passing: passing,
            defaultEf: parameters.defaultEf(nodes: nodeCount))
    }
}
