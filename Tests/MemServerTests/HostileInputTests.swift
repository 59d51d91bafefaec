import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
@testable import MemServer

/// The requests issue 14's fuzzing found or named: each is refused with
/// `invalid_params` naming the field (or answered), never a trap, and
/// nothing is stored.
@Suite struct HostileInputTests {
    func refusal(_ h: Harness, _ method: String, _ params: JSONValue) throws -> (field: String, message: String) {
        let response = try h.call(method, params)
        #expect(response["error"]?["data"]?["name"] == "invalid_params", "\(response)")
        return (response["error"]?["data"]?["field"]?.stringValue ?? "", response["error"]?["message"]?.stringValue ?? "")
    }

    @Test(arguments: [1e16, 1e308, -1.0, 0.0, 3.2e9])
    func ttlsOutOfRangeAreRefusedWithTheRange(ttl: Double) throws {
        let h = try Harness()
        let add = try refusal(h, "memory.add", ["namespace": "n", "text": "x", "ttl_seconds": .double(ttl)])
        #expect(add.field == "params.ttl_seconds")
        #expect(add.message.contains("at most 3155760000") && add.message.contains("(got \(Limits.show(ttl)))"))
        let batch = try refusal(h, "memory.add", ["namespace": "n", "items": [["text": "x", "ttl_seconds": .double(ttl)]]])
        #expect(batch.field == "params.items[0].ttl_seconds")
        #expect(try h.fingerprint() == [0, 0, 0, 0, 0])
        let id = try h.result("memory.add", ["namespace": "n", "text": "y"])["id"]!
        if ttl != 0 {
            #expect(try refusal(h, "memory.update", ["namespace": "n", "id": id, "ttl_seconds": .double(ttl)]).field == "params.ttl_seconds")
        }
    }

    @Test(arguments: ["what did we do 300000000 years ago", "9223372036854775807 weeks ago", "99999999999999999999 days ago"])
    func hugeTimePhrasesGiveNoWindowInsteadOfATrap(query: String) throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "text": "we went hiking"])
        let result = try h.result("memory.recall", ["namespace": "n", "query": .string(query), "explain": true])
        #expect(result["hits"] != nil)
    }

    @Test func nestedUnknownKeysAreRefusedWithASuggestion() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "text": "secret", "tags": ["a"]])
        let tgas = try refusal(h, "memory.recall", ["namespace": "n", "query": "secret", "filter": ["tgas": ["b"]]])
        #expect(tgas.field == "params.filter.tgas")
        #expect(tgas.message.contains("did you mean 'tags'"))
        let agnet = try refusal(h, "memory.list", ["namespace": "n", "filter": ["agnet": "bot"]])
        #expect(agnet.field == "params.filter.agnet" && agnet.message.contains("'agent'"))
        let item = try refusal(h, "memory.add", ["namespace": "n", "items": [["text": "a"], ["text": "b", "tgas": ["x"]]]])
        #expect(item.field == "params.items[1].tgas")
        // Free-form objects keep any key.
        _ = try h.result("memory.add", ["namespace": "n", "text": "c", "attributes": ["tgas": 1], "source": ["anything": ["deep": true]]])
    }

    @Test func messagesShowValuesAsJSONNotSwift() throws {
        #expect(JSONValue.int(3).description == "3")
        #expect(JSONValue.double(2.5).description == "2.5")
        #expect(JSONValue.object(["a": [1, "x"]]).description == #"{"a":[1,"x"]}"#)
        #expect(Limits.show(1e16) == "1e+16" && Limits.show(3) == "3" && Limits.show(-0.0) == "0")
        let h = try Harness()
        let k = try refusal(h, "memory.recall", ["namespace": "n", "query": "q", "k": 2.5])
        #expect(k.field == "params.k" && !k.message.contains("double("))
    }

    @Test func timestampsSaturateInsteadOfTrapping() {
        let now = Timestamp(millis: 1_700_000_000_000)
        #expect(now.adding(seconds: 1e308) == Timestamp.latest)
        #expect(now.adding(seconds: -1e308) == Timestamp.earliest)
        #expect(now.adding(seconds: .nan) == now)
        #expect(now.adding(seconds: .infinity) == Timestamp.latest)
        #expect(Timestamp.latest.iso8601 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(millis: .min).iso8601.isEmpty == false)  // prints, never traps
        #expect(Timestamp(millis: .max).iso8601.isEmpty == false)
    }

    @Test func logValuesStayOnOneLine() {
        #expect(Logger.quoted("plain") == "plain")
        #expect(Logger.quoted("two words") == "\"two words\"")
        #expect(Logger.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(Logger.quoted("line\nbreak\r\u{1b}[31m") == #""line\nbreak\r\u001b[31m""#)
        #expect(Logger.quoted("k=v") == "\"k=v\"")
        #expect(Logger.quoted("") == "\"\"")
        #expect(!Logger.quoted("x\u{2028}y").contains("\u{2028}"))
    }
}
