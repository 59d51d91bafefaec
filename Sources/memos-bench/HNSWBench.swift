import Foundation
import MemCube
import MemStore
import Retrieval

// memos-bench hnsw and ann-data: the HNSW graph alone, on generated vectors
// or on the ANN benchmarks' files (`VectorFiles`).

/// The metadata of a benchmark vector: no tags, agent, session or expiry (every filter passes).
let unfiltered = VectorMeta(tags: [], agent: nil, session: nil, time: Timestamp(millis: 0), expiresAt: nil)

/// `memos-bench hnsw`: graph build rate and search latency/recall against
/// the exact scan. Flags: --points N (30000) --dimension D (384) --queries N (200)
/// --ef LIST (100; e.g. 50,100,200) --k N (10) --data clustered|texts
/// (clustered: 100 Gaussian-ish clusters; texts: the store bench's synthetic
/// texts and 6-word queries through the hashing embedder) --snapshot PATH
///
/// With `--base FILE --queries FILE --truth FILE` (fvecs, fvecs, ivecs: the
/// ANN benchmarks' format, e.g. from `memos-bench ann-data`) it measures on
/// those instead: `--m N` (16) `--ef-construction N` (100) `--ef LIST` `--k N`;
/// vectors are normalized (the index is cosine), the truth file's first k
/// per query are the exact neighbours.
func hnswBenchmark(_ flags: Flags) throws {
    if flags.values["base"] != nil { return try hnswFileBenchmark(flags) }
    let n = flags.int("points", 30_000), d = flags.int("dimension", 384), q = flags.int("queries", 200)
    let efs = flags.string("ef", "100").split(separator: ",").compactMap { Int($0) }
    let k = flags.int("k", 10)
    let texts = flags.string("data", "clustered") == "texts"
    var rng = SplitMix64(seed: 1)
    let centres = (0..<100).map { _ in (0..<d).map { _ in Float.random(in: -1...1, using: &rng) } }
    let hashing = HashingEmbedder(dimension: d)
    func point(_ i: Int) -> [Float] {
        if texts { return hashing.embed([sentence(&rng)])[0] }
        var v = centres[i % 100].map { $0 + Float.random(in: -0.6...0.6, using: &rng) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in v.indices { v[j] /= norm }
        return v
    }
    func query(_ i: Int) -> [Float] {
        if texts { return hashing.embed([(0..<6).map { _ in word(&rng) }.joined(separator: " ")])[0] }
        return point(i * 7 + 3)
    }
    let points = (0..<n).map(point)
    var graph = HNSWGraph(dimension: d)
    let t0 = now()
    var buildRate = 0.0
    // --snapshot PATH: load the graph from PATH when there, else build it and save it there
    // (a 1M-point graph takes ~20 minutes to build here; the points are the same every run).
    let snapshot = flags.values["snapshot"]
    if let snapshot, let loaded = try? HNSWSnapshot.load(from: snapshot, dimension: d, parameters: graph.parameters, meta: { _ in unfiltered }),
       loaded.nodeCount == n {
        graph = loaded
        print(String(format: "hnsw: graph loaded from %@ in %.1f s", snapshot, now() - t0))
    } else {
        for (i, p) in points.enumerated() { graph.insert(key: Int64(i), vector: p, meta: unfiltered) }
        buildRate = Double(n) / (now() - t0)
        if let snapshot { try? HNSWSnapshot.save(graph, to: snapshot) }
    }
    let exact = ExactIndex(dimension: d)
    for (i, p) in points.enumerated() { exact.upsert(namespace: "x", key: Int64(i), vector: p, meta: unfiltered) }
    let queries = (0..<q).map(query)
    let truths = queries.map { query in
        Set(exact.search(namespace: "x", query: query, k: k, filter: CubeFilter(), now: Timestamp(millis: 0)).map(\.key))
    }
    print(String(format: "hnsw: %d %@ points x %d: build %.0f inserts/s", n, texts ? "text" : "clustered", d, buildRate))
    searchCurve(graph, queries: queries, truths: truths, efs: efs, k: k)
}

/// Per ef: search p50/p99 over the queries and recall@k against the truths.
func searchCurve(_ graph: HNSWGraph, queries: [[Float]], truths: [Set<Int64>], efs: [Int], k: Int) {
    for ef in efs {
        var latencies: [Double] = []
        var found = 0, expected = 0
        for (query, truth) in zip(queries, truths) {
            let t0 = now()
            let hits = graph.search(query, k: k, ef: ef) { _ in true }
            latencies.append((now() - t0) * 1000)
            found += hits.filter { truth.contains($0.key) }.count
            expected += truth.count
        }
        latencies.sort()
        print(String(format: "  ef %d, k %d: search p50 %.3f ms p99 %.3f ms; recall@%d %.4f",
                     ef, k, percentile(latencies, 0.5), percentile(latencies, 0.99), k, Double(found) / Double(max(1, expected))))
    }
}

/// `memos-bench hnsw --base F --queries F --truth F`: see `hnswBenchmark`.
func hnswFileBenchmark(_ flags: Flags) throws {
    let k = flags.int("k", 10)
    guard flags.int("threads", 1) == 1 else {
        throw VectorFiles.FormatError(description: "--threads: memos builds its graph on one thread (a parallel build is not there yet)")
    }
    let efs = flags.string("ef", "100").split(separator: ",").compactMap { Int($0) }
    let parameters = HNSWGraph.Parameters(m: flags.int("m", 16), efConstruction: flags.int("ef-construction", 100))
    let base = try VectorFiles.readFloats(flags.string("base", ""))
    let queryFile = try VectorFiles.readFloats(flags.string("queries", ""))
    let truthFile = try VectorFiles.read(flags.string("truth", ""), as: Int32.self)
    guard queryFile.dimension == base.dimension else {
        throw VectorFiles.FormatError(description: "queries have dimension \(queryFile.dimension), the base \(base.dimension)")
    }
    guard truthFile.count >= queryFile.count, truthFile.dimension >= k else {
        throw VectorFiles.FormatError(description: "the truth file has \(truthFile.count) rows of \(truthFile.dimension); expected \(queryFile.count) of at least k = \(k)")
    }
    let d = base.dimension
    func rows(_ values: [Float], _ count: Int) -> [[Float]] {
        (0..<count).map { i in
            var v = Array(values[(i * d)..<((i + 1) * d)])
            normalize(&v)
            return v
        }
    }
    let points = rows(base.values, base.count), queries = rows(queryFile.values, queryFile.count)
    let truths = (0..<queries.count).map { i in
        Set(truthFile.values[(i * truthFile.dimension)..<(i * truthFile.dimension + k)].map(Int64.init))
    }
    var graph = HNSWGraph(dimension: d, parameters: parameters)
    let t0 = now()
    for (i, p) in points.enumerated() { graph.insert(key: Int64(i), vector: p, meta: unfiltered) }
    let seconds = now() - t0
    print(String(format: "hnsw: %d points x %d from %@, M %d, efConstruction %d: build %.1f s (%.0f inserts/s, 1 thread)",
                 points.count, d, flags.string("base", ""), parameters.m, parameters.efConstruction, seconds, Double(points.count) / seconds))
    searchCurve(graph, queries: queries, truths: truths, efs: efs, k: k)
}

/// `memos-bench ann-data --out DIR`: seeded clustered unit vectors in the ANN
/// benchmarks' files — DIR/base.fvecs, DIR/queries.fvecs and DIR/truth.ivecs
/// (each query's exact `--truth-k` nearest by cosine, best first), for
/// `memos-bench hnsw --base ...` and `scripts/bench_ann_peers.py`.
/// Flags: --points N (100000) --queries N (1000) --dimension D (384)
/// --clusters N (100) --spread X (0.6: each coordinate ± X around its cluster centre) --seed N (1) --truth-k N (100)
func annDataCommand(_ flags: Flags) throws {
    let n = flags.int("points", 100_000), q = flags.int("queries", 1_000), d = flags.int("dimension", 384)
    let clusters = max(1, flags.int("clusters", 100)), truthK = flags.int("truth-k", 100)
    let spread = Float(flags.values["spread"].flatMap(Double.init) ?? 0.6)
    let out = flags.string("out", "ann-data")
    guard n > 0, q > 0, d > 0, d <= VectorFiles.maxDimension, truthK > 0, truthK <= n else {
        throw VectorFiles.FormatError(description: "need --points, --queries, --dimension (≤ \(VectorFiles.maxDimension)) and --truth-k (≤ points) above 0")
    }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var rng = SplitMix64(seed: UInt64(flags.int("seed", 1)))
    let centres = (0..<clusters).map { _ in (0..<d).map { _ in Float.random(in: -1...1, using: &rng) } }
    func point() -> [Float] {
        var v = centres[Int(rng.next() % UInt64(clusters))].map { $0 + Float.random(in: -spread...spread, using: &rng) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in v.indices { v[j] /= norm }
        return v
    }
    let points = (0..<n).map { _ in point() }, queries = (0..<q).map { _ in point() }
    let t0 = now()
    let exact = ExactIndex(dimension: d)
    for (i, p) in points.enumerated() { exact.upsert(namespace: "x", key: Int64(i), vector: p, meta: unfiltered) }
    var truth: [Int32] = []
    truth.reserveCapacity(q * truthK)
    for query in queries {
        truth += exact.search(namespace: "x", query: query, k: truthK, filter: CubeFilter(), now: Timestamp(millis: 0)).map { Int32($0.key) }
    }
    try VectorFiles.write(floats: points.flatMap { $0 }, dimension: d, to: out + "/base.fvecs")
    try VectorFiles.write(floats: queries.flatMap { $0 }, dimension: d, to: out + "/queries.fvecs")
    try VectorFiles.write(integers: truth, dimension: truthK, to: out + "/truth.ivecs")
    print(String(format: "ann-data: %d base and %d query vectors x %d (%d clusters, spread %.2f) and their exact %d nearest in %@ (truth %.1f s)",
                 n, q, d, clusters, spread, truthK, out, now() - t0))
}
