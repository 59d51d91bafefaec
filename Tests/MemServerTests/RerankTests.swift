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

    @Test func diversitySpreadsTheTopHits() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "Caroline loves painting sunsets by the lake"],
            ["text": "Caroline loves painting sunsets by the lake!"],
            ["text": "Caroline loves painting sunsets near the lake"],
            ["text": "Caroline also enjoys painting portraits of her friends"],
        ]])
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
}
