import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
import MemStore
import MemTestSupport
@testable import MemServer

/// memory.export and memory.import: whole memories out and in.
@Suite struct TransferTests {
    /// A namespace with what memories can hold: versions, a forget, a
    /// payload, explicit entities, attributes, a TTL, links, pins and heat.
    func populated() throws -> Harness {
        let h = try Harness()
        let a = try h.result("memory.add", [
            "namespace": "n", "text": "Caroline moved to Berlin", "tags": ["travel"], "agent": "bot", "session": "s",
            "attributes": ["city": "Berlin", "n": 3], "importance": 0.7, "occurred_at": "2022-03-01T09:00:00Z",
            "source": ["type": "chat", "message_id": "m-1"], "entities": ["Berlin Wall"],
        ])["id"]!
        let batch = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "Melanie paints sunsets", "session": "s"], ["text": "short-lived", "ttl_seconds": 3600],
            ["text": "KV of Caroline", "kind": "activation", "format": "safetensors", "model": "llama",
             "data": .string(Data(kvSnapshot(layers: 1, heads: 1, tokens: 2, headDim: 2)).base64EncodedString())],
        ]])["ids"]!.arrayValue!
        _ = try h.result("memory.update", ["namespace": "n", "id": a, "text": "Caroline moved to Munich"])
        _ = try h.result("memory.forget", ["namespace": "n", "id": batch[1]])
        _ = try h.result("memory.link", ["namespace": "n", "from": a, "to": batch[0], "type": "mentioned_with", "weight": 0.5])
        _ = try h.result("scheduler.pin", ["namespace": "n", "id": batch[0]])
        _ = try h.result("scheduler.touch", ["namespace": "n", "ids": [a, a]])
        for i in 0..<7 { _ = try h.result("memory.add", ["namespace": "n", "text": .string("note \(i) about the garden")]) }
        return h
    }

    /// Every page of an export, as the JSON Lines memctl writes.
    func export(_ h: Harness, _ namespace: String, limit: Int = 3) throws -> [String] {
        var lines: [String] = [], cursor: JSONValue = .null
        repeat {
            var params: [String: JSONValue] = ["namespace": .string(namespace), "limit": .int(Int64(limit))]
            if cursor != .null { params["cursor"] = cursor }
            let page = try h.result("memory.export", .object(params))
            lines += (page["records"]?.arrayValue ?? []).map { String(decoding: try! Self.encoder.encode($0), as: UTF8.self) }
            cursor = page["cursor"] ?? .null
        } while cursor != .null
        return lines
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func records(_ lines: [String]) throws -> [JSONValue] { try lines.map { try JSONReader.parse(Array($0.utf8)) } }

    @Test func exportThenImportRoundTripsByteForByte() throws {
        let a = try populated()
        let first = try export(a, "n")
        #expect(first.count == 1 + 11 + 2, "header, 11 memories, 2 links: \(first.count)")
        let b = try Harness()
        for chunk in try records(first).chunked(4) {
            let r = try b.result("memory.import", ["namespace": "n", "records": .array(chunk)])
            #expect(r["skipped"] == 0)
        }
        #expect(try export(b, "n", limit: 5) == first, "an export of the import is the same, byte for byte")
        // And what clients see is the same: history, payload, recall.
        let id = try #require(try records(first)[1]["memory"]?["id"])
        #expect(try b.result("memory.history", ["namespace": "n", "id": id]) == (try a.result("memory.history", ["namespace": "n", "id": id])))
        func hits(_ h: Harness) throws -> [JSONValue] {
            (try h.result("memory.recall", ["namespace": "n", "query": "where does Caroline live"])["hits"]?.arrayValue ?? []).compactMap { $0["id"] }
        }
        #expect(try hits(b) == (try hits(a)) && !(try hits(b)).isEmpty)
        let kv = try records(first).first { $0["memory"]?["kind"] == "activation" }?["memory"]?["id"]
        let data = try b.result("memory.get", ["namespace": "n", "id": try #require(kv), "include_data": true])["data"]
        #expect(data == (try a.result("memory.get", ["namespace": "n", "id": kv!, "include_data": true])["data"]))
        // Importing again changes nothing.
        let before = try b.fingerprint()
        let again = try b.result("memory.import", ["namespace": "n", "records": .array(try records(first))])
        #expect(again["imported"] == 0 && again["skipped"] == 11)
        #expect(try b.fingerprint()[0...2] == before[0...2])
    }

    @Test func badRecordsAreRefusedByPathAndChangeNothing() throws {
        let a = try populated()
        var good = try records(try export(a, "n"))
        let b = try Harness()
        let before = try b.fingerprint()
        func refused(_ records: [JSONValue], field: String) throws {
            let response = try b.call("memory.import", ["namespace": "n", "records": .array(records)])
            #expect(response["error"]?["data"]?["field"]?.stringValue == field, "\(response)")
        }
        guard case .object(var memory) = good[1], case .object(var row)? = memory["memory"] else { Issue.record("no memory record"); return }
        row["colour"] = "blue"
        memory["memory"] = .object(row)
        try refused([.object(memory)], field: "params.records[0].memory.colour")
        row["colour"] = nil
        row["importance"] = "high"
        memory["memory"] = .object(row)
        try refused([good[0], .object(memory)], field: "params.records[1].memory.importance")
        row["importance"] = 0.5
        row["state"] = "deleted"
        memory["memory"] = .object(row)
        try refused([.object(memory)], field: "params.records[0].memory.state")
        try refused([["type": "memory", "memory": [:], "versions": [], "extra": 1]], field: "params.records[0].extra")
        try refused([["type": "link", "from": "x", "to": "y", "link_type": "next", "weight": 1, "created_at": 0]], field: "params.records[0].from")
        try refused([["type": "header", "format": "other"]], field: "params.records[0].format")
        #expect(try b.fingerprint() == before)
        // The same ids in another namespace of one store: refused, not silently skipped.
        good[0] = ["type": "header", "format": "memos-export-1"]
        let clash = try a.call("memory.import", ["namespace": "other", "records": .array(good)])
        #expect(clash["error"]?["data"]?["field"]?.stringValue == "params.records[1].memory.id")
    }

    @Test func aStrangerCannotExportOrImportIntoAnotherUsersNamespace() throws {
        let h = try populated()
        let stranger = PeerCredentials(pid: 9, uid: 2301, gid: 2301)
        #expect(try h.call("memory.export", ["namespace": "n"], as: stranger)["error"]?["data"]?["name"] == "permission_denied")
        let records = try records(try export(h, "n"))
        #expect(try h.call("memory.import", ["namespace": "n", "records": .array(records)], as: stranger)["error"]?["data"]?["name"] == "permission_denied")
    }

    @Test func mem0ExportsBecomeMemoriesOnce() throws {
        let h = try Harness()
        let records: JSONValue = [
            ["id": "8c3e6a4e-1111", "memory": "Dana's dog is called Biscuit", "user_id": "dana", "agent_id": "assistant",
             "run_id": "chat-7", "metadata": ["topic": "pets"], "categories": ["pets"], "hash": "abc",
             "created_at": "2024-07-20T01:23:45.123456-07:00", "updated_at": .null],
            ["id": "9d4f7b5f-2222", "memory": "Dana prefers tea", "user_id": "dana", "immutable": false],
        ]
        let r = try h.result("memory.import", ["namespace": "dana", "format": "mem0", "records": records])
        #expect(r["imported"] == 2)
        let first = try h.result("memory.get", ["namespace": "dana", "id": try #require(r["ids"]?[0])])["memory"]
        #expect(first?["agent"] == "assistant" && first?["session"] == "chat-7" && first?["tags"] == ["pets"])
        #expect(first?["attributes"] == ["topic": "pets"])
        #expect(first?["occurred_at"] == "2024-07-20T08:23:45.123Z")
        #expect(first?["source"]?["id"] == "8c3e6a4e-1111" && first?["source"]?["type"] == "mem0" && first?["source"]?["hash"] == "abc")
        let second = try h.result("memory.get", ["namespace": "dana", "id": try #require(r["ids"]?[1])])["memory"]
        #expect(second?["source"]?["immutable"] == false, "unknown Mem0 fields are kept in source, not dropped")
        let again = try h.result("memory.import", ["namespace": "dana", "format": "mem0", "records": records])
        #expect(again["imported"] == 0 && again["skipped"] == 2)
        let bad = try h.call("memory.import", ["namespace": "dana", "format": "mem0", "records": [["id": "x", "memory": 5]]])
        #expect(bad["error"]?["data"]?["field"] == "params.records[0].memory")
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
