import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore
@testable import Retrieval

@Suite struct ExactIndexTests {
    @Test func matchesABruteForceOracle() {
        var rng = SplitMix64(seed: 7)
        let d = 32
        let index = ExactIndex(dimension: d)
        var vectors: [Int64: [Float]] = [:]
        for key in Int64(1)...500 {
            let v = randomUnitVector(d, &rng)
            vectors[key] = v
            index.upsert(namespace: "ns", key: key, vector: v, meta: meta())
        }
        index.remove(namespace: "ns", keys: Array(Int64(1)...100))
        for key in Int64(1)...100 { vectors[key] = nil }
        for _ in 0..<20 {
            let q = randomUnitVector(d, &rng)
            let hits = index.search(namespace: "ns", query: q, k: 10, filter: CubeFilter(), now: Timestamp(millis: 0))
            let oracle = vectors.map { key, v in (key, plainDot(q, v)) }
                .sorted { $0.1 > $1.1 }.prefix(10)
            #expect(hits.map(\.key) == oracle.map(\.0))
            for (hit, expected) in zip(hits, oracle) { #expect(abs(hit.score - expected.1) < 1e-4) }
        }
        #expect(index.count(namespace: "ns") == 400)
    }

    @Test func filtersAndNamespacesAreRespected() {
        let index = ExactIndex(dimension: 2)
        index.upsert(namespace: "a", key: 1, vector: [1, 0], meta: meta(tags: ["x"], session: "s1"))
        index.upsert(namespace: "a", key: 2, vector: [0.8, 0.6], meta: meta(tags: [], session: "s2"))
        index.upsert(namespace: "b", key: 3, vector: [1, 0], meta: meta())
        let now = Timestamp(millis: 0)
        #expect(index.search(namespace: "a", query: [1, 0], k: 5, filter: CubeFilter(), now: now).map(\.key) == [1, 2])
        #expect(index.search(namespace: "a", query: [1, 0], k: 5, filter: CubeFilter(tags: ["x"]), now: now).map(\.key) == [1])
        #expect(index.search(namespace: "a", query: [1, 0], k: 5, filter: CubeFilter(session: "s2"), now: now).map(\.key) == [2])
        #expect(index.search(namespace: "c", query: [1, 0], k: 5, filter: CubeFilter(), now: now).isEmpty)
        index.upsert(namespace: "a", key: 1, vector: [0, 1], meta: meta(tags: ["x"]))
        #expect(index.search(namespace: "a", query: [1, 0], k: 1, filter: CubeFilter(), now: now).map(\.key) == [2])
    }
}
