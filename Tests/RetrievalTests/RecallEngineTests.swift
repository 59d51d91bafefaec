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

/// Stores `texts` in namespace "ns" with vectors, and indexes them (vector
/// and keyword) as the service's writes do; returns the keyword index.
func indexed(_ texts: [String], into t: TempStore, _ index: ExactIndex, _ embedder: HashingEmbedder) throws -> KeywordIndex {
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
    return keywords
}

@Suite struct RecallEngineTests {
    @Test func fusesVectorAndKeywordAndLoadsCubes() throws {
        let t = try TempStore()
        let embedder = HashingEmbedder()
        let index = ExactIndex(dimension: embedder.dimension)
        let texts = ["Caroline went hiking in the Alps", "Melanie paints sunsets", "The Alps trip was in June"]
        let keywords = try indexed(texts, into: t, index, embedder)
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

/// The second corpus shape (issue 17): short factual notes about people and
/// dates, with no speakers and no sessions. The conversation boosts
/// (speaker, session) must leave their ranking exactly as it is without them.
@Suite struct NotesCorpusTests {
    @Test func speakerAndSessionBoostsDoNotTouchNotes() throws {
        let t = try TempStore()
        let embedder = HashingEmbedder()
        let index = ExactIndex(dimension: embedder.dimension)
        let people = ["Caroline", "Melanie", "Jon", "Dana", "Priya", "Kenji"]
        let facts = ["moved to Berlin", "started a pottery class", "adopted a beagle", "ran a marathon", "bought a house", "went to Japan"]
        var texts: [String] = []
        for (i, person) in people.enumerated() {
            for (j, fact) in facts.enumerated() where (i + j) % 2 == 0 {
                texts.append("\(person) \(fact) in \(["May", "June", "July"][(i + j) % 3]) 202\(j % 4)")
            }
        }
        let keywords = try indexed(texts, into: t, index, embedder)
        var plain = Rerank()
        plain.speakerWeight = 0
        plain.sessionWeight = 0
        let withBoosts = RecallEngine(store: t.store, index: index, keywords: keywords, embedder: embedder)
        let without = RecallEngine(store: t.store, index: index, keywords: keywords, embedder: embedder, rerank: plain)
        for question in ["what did Dana buy", "who went to Japan", "when did Caroline move to Berlin", "what did Kenji say about the marathon"] {
            let query = RecallQuery(namespace: "ns", text: question, k: 10, now: Timestamp(millis: 2_000_000))
            #expect(try withBoosts.recall(query).map(\.key) == (try without.recall(query).map(\.key)), "\(question)")
        }
    }
}
