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

@Suite struct GraphTests {
    func ids(_ result: JSONValue) -> [String] {
        guard case .array(let list)? = result["ids"] else { return [] }
        return list.compactMap(\.stringValue)
    }

    @Test func neighboursFollowSessionsLinksAndEntities() throws {
        let h = try Harness()
        let turns = ids(try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "Melanie: I signed up for a pottery class", "session": "s1"],
            ["text": "Caroline: That sounds fun! When does it start?", "session": "s1"],
            ["text": "Melanie: Next Tuesday, with Rosalind", "session": "s1"],
            ["text": "Caroline: Rosalind is my cousin", "session": "s2"],
        ]]))
        #expect(turns.count == 4)
        _ = try h.result("memory.link", ["namespace": "n", "from": .string(turns[3]), "to": .string(turns[0]), "type": "about"])
        let result = try h.result("graph.neighbors", ["namespace": "n", "id": .string(turns[2])])
        guard case .array(let neighbors)? = result["neighbors"] else { Issue.record("no neighbors"); return }
        let relations = Dictionary(uniqueKeysWithValues: neighbors.compactMap { n in n["id"]?.stringValue.map { ($0, n["relation"]?.stringValue ?? "") } })
        #expect(relations[turns[1]] == "previous")
        #expect(relations[turns[3]] == "entity")  // shares "Rosalind"
        let linked = try h.result("graph.neighbors", ["namespace": "n", "id": .string(turns[0])])
        let fromFirst = try #require(linked["neighbors"]?.arrayValue)
        #expect(fromFirst.contains { $0["id"]?.stringValue == turns[3] && $0["relation"] == "about" })
        #expect(fromFirst.contains { $0["id"]?.stringValue == turns[1] && $0["relation"] == "next" })
    }

    @Test func linkRejectsBadInput() throws {
        let h = try Harness()
        let a = ids(try h.result("memory.add", ["namespace": "n", "items": [["text": "a"], ["text": "b"]]]))
        #expect(errorField(try h.call("memory.link", ["namespace": "n", "from": .string(a[0]), "to": .string(a[0])])) == "params.to")
        #expect(errorField(try h.call("memory.link", ["namespace": "n", "from": .string(a[0]), "to": .string(a[1]), "type": "next"])) == "params.type")
        #expect(errorField(try h.call("memory.link", ["namespace": "n", "from": .string(a[0]), "to": .string(a[1]), "weight": 2])) == "params.weight")
        #expect(errorCode(try h.call("memory.link", ["namespace": "other", "from": .string(a[0]), "to": .string(a[1])])) == Int64(ErrorCode.notFound.rawValue))
    }

    /// The reply holds none of the query's words; the graph brings it in
    /// because it follows the turn that matches.
    @Test func graphSignalFindsTheAnswerNextToTheHit() throws {
        let h = try Harness()
        let filler = (0..<30).map { JSONValue.object(["text": .string("unrelated chatter number \($0) about weather"), "session": "s0"]) }
        let turns = ids(try h.result("memory.add", ["namespace": "n", "items": .array(filler + [
            ["text": "Melanie: Did you finally adopt the greyhound?", "session": "s1"],
            ["text": "Caroline: Yes! We brought her home on Saturday.", "session": "s1"],
        ])]))
        let result = try h.result("memory.recall", ["namespace": "n", "query": "adopt greyhound", "k": 5, "explain": true])
        guard case .array(let hits)? = result["hits"] else { Issue.record("no hits"); return }
        let reply = hits.first { $0["id"]?.stringValue == turns.last }
        #expect(reply != nil)
        #expect(reply?["signals"]?["graph"] != nil)
    }
}
