import Foundation
import Testing
import Consolidation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval
@testable import MemServer

@Suite struct RerankTests {
    @Test func timePhrasesBoostMemoriesInTheirWindow() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "went hiking in the hills", "occurred_at": "2023-03-02T10:00:00Z"],
            ["text": "went hiking in the hills again", "occurred_at": "2023-06-07T10:00:00Z"],
        ]])
        let result = try h.result("memory.recall", [
            "namespace": "n", "query": "where did I go hiking last week", "reference_time": "2023-06-14T12:00:00Z", "explain": true,
        ])
        guard case .array(let hits)? = result["hits"] else { Issue.record("no hits"); return }
        #expect(hits.first?["text"] == "went hiking in the hills again")
        #expect(hits.first?["explain"]?["time_phrase"] == "last week")
        // The same query a year later names another week: no memory is in it.
        let later = try h.result("memory.recall", [
            "namespace": "n", "query": "hiking in the hills", "reference_time": "2024-06-14T12:00:00Z", "explain": true,
        ])
        let laterHits = try #require(later["hits"]?.arrayValue)
        #expect(laterHits.first?["explain"]?["time_phrase"] == nil)
    }

    /// Three near-duplicate paintings of sunsets and one of portraits in namespace "n", then `more`.
    func paintings(_ h: Harness, more: [String] = []) throws {
        let texts = [
            "Caroline loves painting sunsets by the lake", "Caroline loves painting sunsets by the lake!",
            "Caroline loves painting sunsets near the lake", "Caroline also enjoys painting portraits of her friends",
        ] + more
        _ = try h.result("memory.add", ["namespace": "n", "items": .array(texts.map { ["text": .string($0)] })])
    }

    @Test func diversitySpreadsTheTopHits() throws {
        let h = try Harness()
        try paintings(h)
        func top2(_ diversity: Double) throws -> [String] {
            guard case .array(let hits)? = try h.result("memory.recall", [
                "namespace": "n", "query": "Caroline painting sunsets lake", "k": 2, "diversity": .double(diversity),
            ])["hits"] else { return [] }
            return hits.compactMap { $0["text"]?.stringValue }
        }
        #expect(!(try top2(0)).contains("Caroline also enjoys painting portraits of her friends"))
        #expect(try top2(0.8).contains("Caroline also enjoys painting portraits of her friends"))
        #expect(errorField(try h.call("memory.recall", ["namespace": "n", "query": "x", "diversity": 2])) == "params.diversity")
    }

    @Test func diversifiedScoresStayInRankOrder() throws {
        let h = try Harness()
        try paintings(h, more: ["Melanie runs by the lake"])
        let hits = try #require(try h.result("memory.recall", [
            "namespace": "n", "query": "Caroline painting sunsets lake", "k": 4, "diversity": 0.8, "explain": true,
        ])["hits"]?.arrayValue)
        let scores = hits.compactMap { $0["score"]?.doubleValue }
        #expect(scores.count == 4)
        #expect(scores == scores.sorted(by: >))
        // A hit moved up says what keeping the order took off it, and its score still adds up.
        for hit in hits {
            let explain = try #require(hit["explain"])
            let boosts = explain["boosts"]?.objectValue?.values.compactMap(\.doubleValue) ?? []
            #expect(abs((explain["fused"]?.doubleValue ?? 0) + boosts.reduce(0, +) - (hit["score"]?.doubleValue ?? 0)) < 1e-9)
        }
    }

    @Test func asOfRecallFavoursNothingThatHappenedAfter() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "Dana works at the bakery", "occurred_at": "2023-05-01T10:00:00Z"],
            ["text": "Dana works at the bank", "occurred_at": "2023-09-01T10:00:00Z"],
            ["text": "Dana works at the library", "valid_from": "2024-01-01T00:00:00Z"],
        ]])
        let hits = try #require(try h.result("memory.recall", [
            "namespace": "n", "query": "where does Dana work", "reference_time": "2023-06-01T00:00:00Z", "explain": true,
        ])["hits"]?.arrayValue)
        func boosts(_ text: String) -> [String: JSONValue] {
            hits.first { $0["text"]?.stringValue == text }?["explain"]?["boosts"]?.objectValue ?? [:]
        }
        // As of June 2023 the September fact had not happened: no recency for it, some for May's.
        #expect(boosts("Dana works at the bank")["recency"] == nil)
        #expect((boosts("Dana works at the bakery")["recency"]?.doubleValue ?? 0) > 0)
        // valid_from after the reference time: not yet a fact, ranked below the current one.
        #expect((boosts("Dana works at the library")["not_yet"]?.doubleValue ?? 0) < 0)
        #expect(hits.first?["text"] == "Dana works at the bakery")
        let got = try h.result("memory.recall", ["namespace": "n", "query": "library"])
        #expect(got["hits"]?[0]?["valid_from"] == "2024-01-01T00:00:00.000Z")
        #expect(errorField(try h.call("memory.add", ["namespace": "n", "text": "x", "valid_from": "soon"])) == "params.valid_from")
    }

    @Test func aShortTurnBorrowsFromItsNeighbourForTheVectorSignal() throws {
        var rerank = Rerank()
        rerank.neighbourWeight = 0.3  // off by default (docs/benchmarks.md: +0.002 on LoCoMo for 1.08× the latency)
        let h = try Harness(rerank: rerank)
        _ = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "Have you ever been scuba diving in Egypt?", "session": "s1"],
            ["text": "Yes, twice, it was wonderful!", "session": "s1"],
            ["text": "I had pasta for lunch", "session": "s2"],
            ["text": "Yes, the weather is nice", "session": "s2"],
        ]])
        let hits = try #require(try h.result("memory.recall", [
            "namespace": "n", "query": "scuba diving Egypt", "weights": ["vector": 1, "keyword": 0, "graph": 0],
        ])["hits"]?.arrayValue)
        let texts = hits.compactMap { $0["text"]?.stringValue }
        // The reply comes before the other session's "Yes" reply: it answered the diving question.
        let reply = try #require(texts.firstIndex(of: "Yes, twice, it was wonderful!"))
        let other = texts.firstIndex(of: "Yes, the weather is nice") ?? texts.count
        #expect(reply < other)
    }
}
