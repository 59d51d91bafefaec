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
