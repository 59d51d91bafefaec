import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
@testable import MemServer

@Suite struct JSONWriterTests {
    func reference(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        let tricky = "a/b \"quoted\" back\\slash\n\t\r\u{08}\u{0C}\u{01}\u{1f} é 😀 \u{2028}"
        let full = MemoryRecall.Hit(
            id: "01JD000000000000000000000A", score: 0.30000000000000004, text: tricky, version: 3, tags: ["b", "a/", tricky],
            attributes: ["z": 1, "a": ["nested": [1.5, 2.0, -0.0, 1e-7, 1e21, "x", nil, true]], "B": .object([:]), "é": false],
            importance: 1, agent: "planner", session: "s-1", occurredAt: Timestamp(millis: 1_700_000_000_123),
            createdAt: Timestamp(millis: 1_700_000_001_000),
            signals: ["vector": .init(rank: 1, score: 0.91, contribution: 0.5, weight: 0.5), "keyword": .init(rank: 12, score: 7.25)],
            validTo: Timestamp(millis: 1_800_000_000_000), conflictsWith: ["01JD000000000000000000000B"],
            explain: .init(fused: 1.25, boosts: ["recency": 0.0125, "importance": -0.05, "time": 0], timePhrase: "last week"))
        let bare = MemoryRecall.Hit(
            id: "01JD000000000000000000000C", score: 2, text: nil, version: 1, tags: [], attributes: [:], importance: 0.5,
            agent: nil, session: nil, occurredAt: nil, createdAt: Timestamp(millis: 0), signals: [:])
        for result in [
            MemoryRecall.Result(hits: []),
            MemoryRecall.Result(hits: [full, bare], summaries: [bare], timingsMS: ["total": 1.234, "embed": 0.01]),
        ] {
            var writer = JSONWriter()
            result.write(to: &writer)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == (try reference(result)))
        }
    }

    @Test func aRecallThroughTheDispatcherIsTheEncodersResponse() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "text": "Caroline \"moved\" to Berlin/Brandenburg in 2022", "tags": ["t"],
                                        "attributes": ["k": [1, 2.5]], "occurred_at": "2022-01-01T00:00:00Z", "session": "s"])
        let frame = #"{"jsonrpc":"2.0","id":"q-1","method":"memory.recall","params":{"namespace":"n","query":"Caroline","explain":true}}"#
        let reply = try #require(h.dispatcher.handle(frame: Array(frame.utf8), peer: h.peer))
        let decoded = try JSONDecoder().decode(RPCResponse<MemoryRecall.Result>.self, from: Data(reply))
        let result = try #require(decoded.result)
        #expect(result.hits.count == 1)
        let expected = try reference(WireResponse(id: .string("q-1"), result: result, error: nil))
        #expect(String(decoding: reply, as: UTF8.self) == expected)
    }
}
