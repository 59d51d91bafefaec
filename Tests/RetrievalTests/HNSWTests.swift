import Foundation
import MemCube
import MemStore
import Testing
@testable import Retrieval

/// Clustered unit vectors (like sentence embeddings: topics, not noise).
func clusteredVectors(count: Int, dimension: Int, clusters: Int, seed: UInt64) -> [[Float]] {
    var rng = SplitMix64(seed: seed)
    let centres = (0..<clusters).map { _ in randomUnitVector(dimension, &rng) }
    return (0..<count).map { i in
        var v = centres[i % clusters].map { $0 + Float.random(in: -0.35...0.35, using: &rng) }
        normalize(&v)
        return v
    }
}

/// The dot product as a plain loop: the reference the index is checked against.
func plainDot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            var sum: Float = 0
            for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
            return sum
        }
    }
}

/// recall@k of `graph` against the exact scan over the same live vectors.
func recallAgainstExact(_ graph: HNSWGraph, vectors: [Int64: [Float]], queries: [[Float]], k: Int) -> Double {
    var found = 0
    for q in queries {
        let exact = vectors.map { key, v in (key, plainDot(q, v)) }
            .sorted { $0.1 > $1.1 }.prefix(k).map(\.0)
        let approximate = Set(graph.search(q, k: k) { _ in true }.map(\.key))
        found += exact.filter(approximate.contains).count
    }
    return Double(found) / Double(queries.count * k)
}

@Suite struct HNSWTests {
    static let dimension = 32
    let data = clusteredVectors(count: 2500, dimension: HNSWTests.dimension, clusters: 40, seed: 11)
    let queries = clusteredVectors(count: 100, dimension: HNSWTests.dimension, clusters: 40, seed: 99)

    @Test func theDefaultEfGrowsWithTheGraphAboveTheScalePoint() {
        let parameters = HNSWGraph.Parameters()
        #expect(parameters.defaultEf(nodes: 0) == 100)
        #expect(parameters.defaultEf(nodes: HNSWGraph.Parameters.efScaleFrom) == 100)
        let sizes = [100_001, 200_000, 500_000, 1_000_000, 10_000_000, 1_000_000_000]
        let efs = sizes.map { parameters.defaultEf(nodes: $0) }
        #expect(efs == efs.sorted(), "never shrinks as the graph grows")
        #expect((550...650).contains(parameters.defaultEf(nodes: 1_000_000)))
        #expect(efs.last == 2000, "capped at 20 × efSearch")
        #expect(HNSWGraph.Parameters(efSearch: 40).defaultEf(nodes: 1_000_000) < 300, "scales the configured beam")
    }

    func build() -> (HNSWGraph, [Int64: [Float]]) {
        var graph = HNSWGraph(dimension: Self.dimension, parameters: .init(m: 12, efConstruction: 64, efSearch: 100))
        var live: [Int64: [Float]] = [:]
        for (i, v) in data.enumerated() {
            graph.insert(key: Int64(i + 1), vector: v, meta: meta())
            live[Int64(i + 1)] = v
        }
        return (graph, live)
    }

    @Test func recallBeforeAfterReloadAndAfterDeletes() throws {
        var (graph, live) = build()
        let before = recallAgainstExact(graph, vectors: live, queries: queries, k: 10)
        #expect(before >= 0.95, "recall@10 \(before)")

        // A restart: save, load, same answers.
        let path = NSTemporaryDirectory() + "hnsw-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HNSWSnapshot.save(graph, to: path)
        let loaded = try HNSWSnapshot.load(from: path, dimension: Self.dimension, parameters: graph.parameters) { _ in meta() }
        let reloaded = recallAgainstExact(loaded, vectors: live, queries: queries, k: 10)
        #expect(reloaded == before)

        // Delete 20%: the survivors are still found.
        var rng = SplitMix64(seed: 5)
        for key in live.keys.shuffled(using: &rng).prefix(live.count / 5) {
            graph.remove(key: key)
            live[key] = nil
        }
        #expect(abs(graph.tombstoneRatio - 0.2) < 0.001)
        let afterDeletes = recallAgainstExact(graph, vectors: live, queries: queries, k: 10)
        #expect(afterDeletes >= 0.95, "recall@10 after deleting 20%: \(afterDeletes)")
        print("HNSW recall@10: \(before) before, \(reloaded) after reload, \(afterDeletes) after deleting 20%")
    }

    @Test func filteredSearchKeepsRecall() {
        var graph = HNSWGraph(dimension: Self.dimension, parameters: .init(m: 12, efConstruction: 64, efSearch: 100))
        var tagged: [Int64: [Float]] = [:]
        for (i, v) in data.prefix(2000).enumerated() {
            let rare = i % 50 == 0  // 2% of the points carry the tag
            graph.insert(key: Int64(i + 1), vector: v, meta: meta(tags: rare ? ["rare"] : []))
            if rare { tagged[Int64(i + 1)] = v }
        }
        let filter = CubeFilter(tags: ["rare"])
        var found = 0
        for q in queries.prefix(30) {
            let exact = tagged.map { key, v in (key, plainDot(q, v)) }
                .sorted { $0.1 > $1.1 }.prefix(10).map(\.0)
            let hits = graph.search(q, k: 10) { $0.matches(filter, now: Timestamp(millis: 0)) }
            #expect(hits.allSatisfy { tagged[$0.key] != nil })
            found += exact.filter(Set(hits.map(\.key)).contains).count
        }
        #expect(Double(found) / 300 >= 0.95)
    }

    @Test func corruptSnapshotsAreRefused() throws {
        let (graph, _) = build()
        let path = NSTemporaryDirectory() + "hnsw-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HNSWSnapshot.save(graph, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[100] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: HNSWSnapshot.LoadError.badChecksum) {
            try HNSWSnapshot.load(from: path, dimension: Self.dimension, parameters: graph.parameters) { _ in meta() }
        }
        try HNSWSnapshot.save(graph, to: path)
        #expect(throws: HNSWSnapshot.LoadError.self) {
            try HNSWSnapshot.load(from: path, dimension: Self.dimension, parameters: graph.parameters) { $0 == 7 ? nil : meta() }
        }
    }
}

@Suite struct DotTests {
    @Test func blasAndLanesAgree() {
        var rng = SplitMix64(seed: 8)
        for n in [3, 16, 100, 128, 384, 1000] {
            let x = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let y = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let plain = zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in
                    #expect(abs(Dot.product(a.baseAddress!, b.baseAddress!, n) - plain) < 1e-3)
                    #expect(abs(Dot.lanes(a.baseAddress!, b.baseAddress!, n) - plain) < 1e-3)
                }
            }
        }
    }
}
