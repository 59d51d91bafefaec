import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore
@testable import Retrieval

func randomUnitVector(_ d: Int, _ rng: inout SplitMix64) -> [Float] {
    var v = (0..<d).map { _ in Float.random(in: -1...1, using: &rng) }
    normalize(&v)
    return v
}

func meta(tags: [String] = [], session: String? = nil) -> VectorMeta {
    VectorMeta(tags: tags, agent: nil, session: session, time: Timestamp(millis: 0), expiresAt: nil)
}

@Suite struct HashingEmbedderTests {
    let embedder = HashingEmbedder()

    @Test func isDeterministicAndUnitLength() {
        let a = embedder.embed(["Caroline went to the LGBTQ support group"])[0]
        let b = HashingEmbedder().embed(["Caroline went to the LGBTQ support group"])[0]
        #expect(a == b)
        #expect(a.count == 384)
        #expect(abs(a.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        #expect(embedder.embed([""])[0].allSatisfy { $0 == 0 })
    }

    @Test func relatedTextsScoreHigherThanUnrelated() {
        let v = embedder.embed(["I adopted a dog named Rex", "my dog Rex loves walks", "quarterly tax filing deadline"])
        func cosine(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.2)
    }
}

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
            let oracle = vectors.map { key, v in (key, zip(q, v).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
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

@Suite struct KeywordQueryTests {
    @Test func keepsTheContentWords() {
        #expect(KeywordQuery.terms(for: "Where did Caroline go in May?") == ["caroline", "go", "may"])
        #expect(KeywordQuery.terms(for: "the of and") == ["the", "of", "and"])
        #expect(KeywordQuery.terms(for: "?!* ()").isEmpty)
    }

    @Test func queryOperatorsAreJustWords() {
        #expect(KeywordQuery.terms(for: #"tea" OR NEAR(x y) * ^col:"#) == ["tea", "near", "x", "y", "col"])
        #expect(KeywordQuery.terms(for: "\u{0}tea -tea tea*") == ["tea"])
    }
}

@Suite struct FusionTests {
    @Test func weightedReciprocalRankFusion() {
        let fusion = RankFusion(method: .reciprocalRank, k: 60, weights: [.vector: 1, .keyword: 2])
        let fused = fusion.fuse([.vector: [(1, 0.9), (2, 0.8)], .keyword: [(2, 5.0), (3, 4.0)]])
        #expect(fused.map(\.key) == [2, 3, 1])
        #expect(abs(fused[0].score - (1.0 / 62 + 2.0 / 61)) < 1e-12)
        #expect(fused[0].signals[.keyword]?.rank == 1)
        #expect(fused[0].signals[.vector]?.rank == 2)
    }

    @Test func topKKeepsTheBest() {
        var top = TopK<Int>(k: 3)
        for (i, s) in [5, 1, 9, 3, 7, 2].enumerated() { top.offer(Float(s), i) }
        #expect(top.sorted().map(\.item) == [2, 4, 0])
    }
}

@Suite struct RecallEngineTests {
    @Test func fusesVectorAndKeywordAndLoadsCubes() throws {
        let t = try TempStore()
        let embedder = HashingEmbedder()
        let index = ExactIndex(dimension: embedder.dimension)
        let texts = ["Caroline went hiking in the Alps", "Melanie paints sunsets", "The Alps trip was in June"]
        let items = texts.map { text in
            var item = makeCube(text)
            item.embedding = Embedding(embedder: embedder.id, vector: embedder.embed([text])[0])
            return item
        }
        let keywords = KeywordIndex()
        _ = try t.store.add(items) { stored in
            for (s, item) in zip(stored, items) {
                index.upsert(namespace: "ns", key: s.key, vector: item.embedding!.vector, meta: VectorMeta(s.cube))
                keywords.upsert(namespace: "ns", key: s.key, text: s.cube.text, meta: VectorMeta(s.cube))
            }
        }
        let engine = RecallEngine(store: t.store, index: index, keywords: keywords, embedder: embedder)
        let hits = try engine.recall(RecallQuery(namespace: "ns", text: "hiking in the Alps", k: 2, now: Timestamp(millis: 2_000_000)))
        #expect(hits.count == 2)
        #expect(hits[0].cube.text == "Caroline went hiking in the Alps")
        #expect(hits[0].signals[.keyword]?.rank == 1)
        #expect(hits[0].signals[.vector]?.rank == 1)
        let other = try engine.recall(RecallQuery(namespace: "other", text: "Alps", k: 5, now: Timestamp(millis: 2_000_000)))
        #expect(other.isEmpty)
    }
}

@Suite struct RelativeScoreFusionTests {
    @Test func scalesEachSignalToItsOwnRange() {
        var fusion = RankFusion(method: .relativeScore, weights: [.vector: 0.5, .keyword: 1])
        fusion.minScaledCandidates = 2
        let fused = fusion.fuse([.vector: [(1, 0.9), (2, 0.5)], .keyword: [(2, 12.0), (3, 4.0), (4, 2.0)]])
        // key 2: 0.5·0 (vector's lowest) + 1·1 (keyword's highest); key 1: 0.5·1; key 3: 0.2; key 4: 0.
        #expect(fused.map(\.key) == [2, 1, 3, 4])
        #expect(abs(fused[0].score - 1.0) < 1e-12)
        #expect(abs(fused[1].score - 0.5) < 1e-12)
        #expect(abs(fused[2].score - 0.2) < 1e-12)
    }
}
