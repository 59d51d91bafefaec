import Foundation
import MemCube
import MemStore
import Testing
@testable import Retrieval

@Suite struct TieredIndexTests {
    @Test func movesALargeNamespaceToHNSWAndKeepsAnswering() throws {
        let data = clusteredVectors(count: 300, dimension: 16, clusters: 10, seed: 3)
        let index = TieredIndex(dimension: 16, threshold: 200, parameters: .init(m: 8, efConstruction: 40, efSearch: 64))
        for (i, v) in data.enumerated() { index.upsert(namespace: "big", key: Int64(i + 1), vector: v, meta: meta()) }
        index.upsert(namespace: "small", key: 1000, vector: data[0], meta: meta())
        index.waitForPromotions()
        #expect(index.kind(namespace: "big") == "hnsw")
        #expect(index.kind(namespace: "small") == "exact")
        #expect(index.count(namespace: "big") == 300)
        #expect(index.totalCount == 301)
        let hits = index.search(namespace: "big", query: data[7], k: 1, filter: CubeFilter(), now: Timestamp(millis: 0))
        #expect(hits.first?.key == 8)
        index.remove(namespace: "big", keys: [8])
        #expect(index.search(namespace: "big", query: data[7], k: 1, filter: CubeFilter(), now: Timestamp(millis: 0)).first?.key != 8)
        #expect(index.search(namespace: "small", query: data[0], k: 5, filter: CubeFilter(), now: Timestamp(millis: 0)).map(\.key) == [1000])

        // Saved and loaded again: the same graph, no rebuild.
        let directory = NSTemporaryDirectory() + "tiered-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(index.saveSnapshots(to: directory).isEmpty)
        let records = data.enumerated().filter { $0.offset != 7 }.map { i, v in
            VectorRecord(key: Int64(i + 1), namespace: "big", meta: meta(), embedding: Embedding(embedder: "t", vector: v))
        }
        let reloaded = TieredIndex(dimension: 16, threshold: 200, parameters: .init(m: 8, efConstruction: 40, efSearch: 64))
        #expect(reloaded.load(namespace: "big", records: records, snapshotDirectory: directory) == "hnsw (snapshot)")
        // A store that changed since the snapshot: rebuilt, not trusted.
        let other = TieredIndex(dimension: 16, threshold: 200, parameters: .init(m: 8, efConstruction: 40, efSearch: 64))
        #expect(other.load(namespace: "big", records: Array(records.dropLast()), snapshotDirectory: directory) == "hnsw (rebuilt)")
    }
}

@Suite struct TieredCompactionTests {
    @Test func compactionDropsTombstonesAndKeepsAnswers() {
        var rng = SplitMix64(seed: 9)
        let dimension = 16
        func unit() -> [Float] {
            var v = (0..<dimension).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in v.indices { v[i] /= norm }
            return v
        }
        let index = TieredIndex(dimension: dimension, threshold: 50)
        let meta = VectorMeta(tags: [], agent: nil, session: nil, time: Timestamp(millis: 0), expiresAt: nil)
        let vectors = (0..<200).map { _ in unit() }
        for (i, v) in vectors.enumerated() { index.upsert(namespace: "ns", key: Int64(i), vector: v, meta: meta) }
        index.waitForPromotions()
        #expect(index.kind(namespace: "ns") == "hnsw")
        index.remove(namespace: "ns", keys: (0..<60).map(Int64.init))
        #expect(index.compact(threshold: 0.5).isEmpty)  // 30% tombstones: under this threshold
        #expect(index.compact(threshold: 0.2) == ["ns": 60])
        #expect(index.compact(threshold: 0.2).isEmpty)
        #expect(index.count(namespace: "ns") == 140)
        let hits = index.search(namespace: "ns", query: vectors[100], k: 5, filter: CubeFilter(), now: Timestamp(millis: 0))
        #expect(hits.first?.key == 100)
        #expect(hits.allSatisfy { $0.key >= 60 })
    }
}
