import Foundation
import MemCube
import MemJSON
import MemStore
import Retrieval

// memos-bench filter: filtered search at selectivities 50%, 5%, 0.5% and
// 0.05%, and list / count / bulk forget by filter through the service.

/// The metadata of bench memory `i`: attributes whose equality keeps 50%,
/// 5%, 0.5% and 0.05% (`half`, `tenant`, `team`, `user`, drawn at random so
/// they do not follow the vectors), and an importance whose ranges keep the same.
func filterBenchAttributes(_ i: Int) -> (attributes: [String: JSONValue], importance: Double) {
    var rng = SplitMix64(seed: UInt64(i) &* 0x9E37_79B9 &+ 17)
    let attributes: [String: JSONValue] = [
        "half": .bool(rng.next() & 1 == 0),
        "tenant": .string("t\(rng.next() % 20)"),
        "team": .string("team\(rng.next() % 200)"),
        "user": .string("u\(rng.next() % 2000)"),
    ]
    return (attributes, Double(rng.next() % 10_000) / 10_000)
}

/// The filters measured, by label: equality on an indexed attribute, a range
/// on importance (nothing to index), and a mix.
let filterBenchRows: [(label: String, filter: JSONValue)] = [
    ("attr 50%", ["attributes.half": true]),
    ("attr 5%", ["attributes.tenant": "t7"]),
    ("attr 0.5%", ["attributes.team": "team42"]),
    ("attr 0.05%", ["attributes.user": "u1234"]),
    ("range 50%", ["importance": ["gte": 0.5]]),
    ("range 5%", ["importance": ["gte": 0.95]]),
    ("range 0.5%", ["importance": ["gte": 0.995]]),
    ("range 0.05%", ["importance": ["gte": 0.9995]]),
    ("attr and range 2.5%", ["attributes.tenant": "t3", "importance": ["gte": 0.5]]),
    ("or of two 0.1%", ["or": [["attributes.user": "u7"], ["attributes.user": ["in": ["u8"]]]]]),
]

/// `memos-bench filter`: at --points N (100000) hashing-embedded texts,
/// per filter: the planned vector search (p50/p99, recall@k against the
/// exact filtered scan, the plan) beside the graph walked and post-filtered
/// as before; then, through the service with --memories N (the same), list,
/// dry-run count and bulk forget by filter. --queries N (200) --k N (10)
/// --snapshot PATH (reuse the graph) --service 0 (skip the service part).
func filterBenchmark(_ flags: Flags) throws {
    let n = flags.int("points", 100_000), q = flags.int("queries", 200), k = flags.int("k", 10)
    let embedder = HashingEmbedder()
    var rng = SplitMix64(seed: 3)
    let texts = (0..<n).map { _ in sentence(&rng) }
    let metas = (0..<n).map { i -> VectorMeta in
        let (attributes, importance) = filterBenchAttributes(i)
        return VectorMeta(tags: [], agent: nil, session: nil, time: Timestamp(millis: 0), expiresAt: nil, importance: importance, attributes: attributes)
    }
    var graph = HNSWGraph(dimension: embedder.dimension)
    let t0 = now()
    if let snapshot = flags.values["snapshot"],
       let loaded = try? HNSWSnapshot.load(from: snapshot, dimension: embedder.dimension, parameters: graph.parameters, meta: { metas[Int($0)] }),
       loaded.nodeCount == n {
        graph = loaded
        print(String(format: "filter: graph of %d loaded in %.1f s", n, now() - t0))
    } else {
        for start in stride(from: 0, to: n, by: 1000) {
            let batch = Array(texts[start..<min(n, start + 1000)])
            for (j, vector) in embedder.embed(batch).enumerated() {
                graph.insert(key: Int64(start + j), vector: vector, meta: metas[start + j])
            }
        }
        print(String(format: "filter: graph of %d built in %.1f s", n, now() - t0))
        if let snapshot = flags.values["snapshot"] { try HNSWSnapshot.save(graph, to: snapshot) }
    }
    let queries = embedder.embed((0..<q).map { _ in (0..<6).map { _ in word(&rng) }.joined(separator: " ") })
    let clock = Timestamp(millis: 1)
    print("filter                 kept    plan (first query)                        planned p50/p99 ms  recall@\(k)   post-filter p50/p99 ms  recall@\(k)  p99 ratio")
    for (label, json) in filterBenchRows {
        let filter = try FilterParser(listOnlyAllowed: false).parse(json, field: "filter")
        let accept: (VectorMeta) -> Bool = { $0.matches(filter, now: clock) }
        let kept = metas.filter(accept).count
        var planned: [Double] = [], baseline: [Double] = []
        var found = 0, baselineFound = 0, expected = 0
        var firstPlan = ""
        for query in queries {
            let truth = query.withUnsafeBufferPointer { Set(graph.exactScan($0, k: k, accept: accept).map(\.key)) }
            expected += truth.count
            var t = now()
            let (hits, plan) = graph.search(query, k: k, filter: filter, now: clock)
            planned.append((now() - t) * 1000)
            if firstPlan.isEmpty { firstPlan = plan?.description ?? "unfiltered" }
            found += hits.filter { truth.contains($0.key) }.count
            t = now()
            let old = graph.search(query, k: k, accept: accept)
            baseline.append((now() - t) * 1000)
            baselineFound += old.filter { truth.contains($0.key) }.count
        }
        planned.sort()
        baseline.sort()
        let p99 = percentile(planned, 0.99), oldP99 = percentile(baseline, 0.99)
        print(String(format: "%@ %6.2f%%  %@ %7.3f / %7.3f   %.4f    %7.3f / %7.3f   %.4f   %5.1fx",
                     label.padding(toLength: 21, withPad: " ", startingAt: 0), Double(kept) / Double(n) * 100,
                     firstPlan.padding(toLength: 41, withPad: " ", startingAt: 0),
                     percentile(planned, 0.5), p99, Double(found) / Double(max(1, expected)),
                     percentile(baseline, 0.5), oldP99, Double(baselineFound) / Double(max(1, expected)), oldP99 / max(p99, 1e-9)))
    }
    if flags.int("service", 1) != 0 { try filterServiceBenchmark(texts: texts) }
}

/// list, dry-run count and bulk forget by filter through the dispatcher, over `texts`.
private func filterServiceBenchmark(texts: [String]) throws {
    let bench = try BenchService()
    defer { bench.close() }
    let t0 = now()
    for start in stride(from: 0, to: texts.count, by: 500) {
        let items: [JSONValue] = (start..<min(start + 500, texts.count)).map { i in
            let (attributes, importance) = filterBenchAttributes(i)
            return ["text": .string(texts[i]), "attributes": .object(attributes), "importance": .double(importance)]
        }
        _ = try bench.call("memory.add", ["namespace": "bench", "items": .array(items)])
    }
    print(String(format: "service: %d memories added in %.1f s", texts.count, now() - t0))
    func timed(_ runs: Int, _ body: () throws -> Void) rethrows -> (p50: Double, p99: Double) {
        let times = try timings(runs: runs, body)
        return (percentile(times, 0.5), percentile(times, 0.99))
    }
    print("filter                 memory.list 50 p50/p99 ms   forget dry_run p50/p99 ms   matched")
    for (label, filter) in filterBenchRows {
        let list = try timed(20) { _ = try bench.call("memory.list", ["namespace": "bench", "limit": 50, "filter": filter]) }
        var matched = 0
        let count = try timed(20) { matched = try bench.call("memory.forget", ["namespace": "bench", "filter": filter, "dry_run": true])["matched"]?.intValue ?? -1 }
        print(String(format: "%@ %8.2f / %8.2f          %8.2f / %8.2f        %6d", label.padding(toLength: 21, withPad: " ", startingAt: 0),
                     list.p50, list.p99, count.p50, count.p99, matched))
    }
    for (label, filter) in [filterBenchRows[3], filterBenchRows[2], filterBenchRows[1]] {
        let t = now()
        let result = try bench.call("memory.forget", ["namespace": "bench", "filter": filter])
        print(String(format: "bulk forget %@: %d memories in %.1f ms", label, result["forgotten"]?.intValue ?? -1, (now() - t) * 1000))
    }
}
