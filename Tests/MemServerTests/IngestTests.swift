import Foundation
import Testing
import Consolidation
import MemAPI
import MemCube
import MemJSON
import MemTestSupport
@testable import MemServer

/// memory.ingest: conversations in, memories out.
@Suite struct IngestTests {
    static let conversation: JSONValue = [
        ["role": "user", "name": "Dana", "content": "I finally adopted a dog last week! His name is Biscuit and he is a beagle.",
         "timestamp": "2023-05-08T13:56:00Z", "id": "m1"],
        ["role": "user", "name": "Sam", "content": "That's great news. I went hiking in the Alps with my sister.",
         "timestamp": "2023-05-08T13:57:00Z", "id": "m2"],
        ["role": "system", "content": "You are a helpful assistant."],
        ["role": "user", "name": "Dana", "content": "Biscuit already chewed my favourite shoes, but I love him.",
         "timestamp": "2023-05-08T13:58:00Z", "id": "m3"],
        ["role": "user", "name": "Sam", "content": "My cat hates dogs, so I cannot visit with her.", "timestamp": "2023-05-08T13:59:00Z", "id": "m4"],
        ["role": "assistant", "content": "Noted: Dana has a beagle named Biscuit; Sam has a cat."],
    ]

    @Test func aTwoSpeakerConversationIsRecalledBySpeaker() throws {
        let h = try Harness()
        let r = try h.result("memory.ingest", ["namespace": "n", "session": "chat-1", "agent": "bot", "messages": Self.conversation])
        #expect(r["stored"] == 5 && r["skipped"] == 1 && r["duplicates"] == 0)
        #expect(r["messages"]?[2]?["status"] == "skipped")
        let first = try h.result("memory.get", ["namespace": "n", "id": try #require(r["ids"]?[0])])["memory"]
        #expect(first?["speaker"] == "Dana" && first?["session"] == "chat-1" && first?["agent"] == "bot")
        #expect(first?["occurred_at"] == "2023-05-08T13:56:00.000Z")
        #expect(first?["source"]?["message_id"] == "m1" && first?["source"]?["role"] == "user")
        let assistant = try h.result("memory.get", ["namespace": "n", "id": try #require(r["ids"]?[4])])["memory"]
        #expect(assistant?["speaker"] == "assistant", "no name: the role speaks")
        // "What did Dana say about her dog": Dana's turns first; with the filter, only hers.
        let hits = try h.result("memory.recall", ["namespace": "n", "query": "what did Dana say about her dog", "k": 3])["hits"]?.arrayValue ?? []
        #expect(hits.contains { $0["speaker"] == "Dana" && $0["text"]?.stringValue?.contains("adopted a dog") == true }, "\(hits)")
        let danas = try h.result("memory.recall", [
            "namespace": "n", "query": "what did Dana say about her dog", "filter": ["speaker": "Dana"],
        ])["hits"]?.arrayValue ?? []
        #expect(danas.count == 2 && danas.allSatisfy { $0["speaker"] == "Dana" })
        #expect(danas.first?["text"]?.stringValue?.contains("adopted a dog") == true, "\(danas)")
        let sams = try h.result("memory.list", ["namespace": "n", "filter": ["speaker": "Sam"]])["memories"]?.arrayValue ?? []
        #expect(sams.count == 2)
    }

    @Test func resendingIsIdempotentAndRolesAreChosen() throws {
        let h = try Harness()
        _ = try h.result("memory.ingest", ["namespace": "n", "messages": Self.conversation])
        let again = try h.result("memory.ingest", ["namespace": "n", "messages": Self.conversation])
        #expect(again["stored"] == 0 && again["duplicates"] == 5 && again["ids"] == [])
        // Without ids, the same content, speaker, time and session is the same message.
        let plain: JSONValue = [["role": "user", "name": "Kim", "content": "I live in Oslo."]]
        #expect(try h.result("memory.ingest", ["namespace": "n", "messages": plain])["stored"] == 1)
        #expect(try h.result("memory.ingest", ["namespace": "n", "messages": plain])["duplicates"] == 1)
        #expect(try h.result("memory.ingest", ["namespace": "n", "session": "other", "messages": plain])["stored"] == 1)
        // System and tool messages on request.
        let tools = try h.result("memory.ingest", ["namespace": "t", "roles": ["user", "tool"], "messages": [
            ["role": "tool", "name": "weather", "content": "Oslo: 4°C, rain"], ["role": "assistant", "content": "It rains."],
        ]])
        #expect(tools["stored"] == 1 && tools["skipped"] == 1)
    }

    @Test func aLongMessageIsSplitIntoLinkedParts() throws {
        let h = try Harness()
        let sentences = (1...60).map { "Sentence number \($0) tells one more thing about the garden." }.joined(separator: " ")
        let r = try h.result("memory.ingest", ["namespace": "n", "split_chars": 500, "messages": [["role": "user", "name": "Lee", "content": .string(sentences), "id": "long"]]])
        let ids = r["messages"]?[0]?["ids"]?.arrayValue ?? []
        #expect(ids.count >= 6, "\(r)")
        var rebuilt: [String] = []
        for (i, id) in ids.enumerated() {
            let memory = try h.result("memory.get", ["namespace": "n", "id": id])["memory"]
            let text = memory?["text"]?.stringValue ?? ""
            #expect(text.count <= 500 && text.hasSuffix("garden."), "parts end at sentence ends: \(text)")
            #expect(memory?["source"]?["part"] == .int(Int64(i + 1)) && memory?["speaker"] == "Lee")
            rebuilt.append(text)
        }
        #expect(rebuilt.joined(separator: " ") == sentences)
        let links = try h.result("graph.neighbors", ["namespace": "n", "id": ids[0]])["neighbors"]?.arrayValue ?? []
        #expect(links.contains { $0["relation"] == "continues" && $0["id"] == ids[1] }, "\(links)")
    }

    @Test func badMessagesAreRefusedByPath() throws {
        let h = try Harness()
        let before = try h.fingerprint()
        func field(_ messages: JSONValue, _ extra: [String: JSONValue] = [:]) throws -> String? {
            var params: [String: JSONValue] = ["namespace": "n", "messages": messages]
            for (k, v) in extra { params[k] = v }
            return try h.call("memory.ingest", .object(params))["error"]?["data"]?["field"]?.stringValue
        }
        #expect(try field([["role": "user", "content": "hi", "colour": "red"]]) == "params.messages[0].colour")
        #expect(try field([["role": "user"]]) == "params.messages[0].content")
        #expect(try field([["role": "user", "content": "ok"], ["role": "", "content": "x"]]) == "params.messages[1].role")
        #expect(try field([["role": "user", "content": "   "]]) == "params.messages[0].content")
        #expect(try field([["role": "user", "content": "x", "timestamp": "yesterday"]]) == "params.messages[0].timestamp")
        #expect(try field([]) == "params.messages")
        #expect(try field([["role": "user", "content": "x"]], ["split_chars": 5]) == "params.split_chars")
        #expect(try field([["role": "user", "content": "x"]], ["extract": true]) == "params.extract", "no --chat-url: said so")
        #expect(try h.fingerprint() == before)
    }

    @Test func extractStoresFactsDerivedFromTheTurns() throws {
        let server = try TinyHTTPServer { _ in
            (200, #"{"choices":[{"index":0,"message":{"role":"assistant","content":"- Dana has a beagle named Biscuit.\n- Sam has a cat."}}]}"#)
        }
        defer { server.stop() }
        var settings = ConsolidationSettings()
        settings.chat = try ChatSummarizer(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "m", apiKey: nil, retries: 0)
        let h = try Harness(consolidation: settings)
        let r = try h.result("memory.ingest", ["namespace": "n", "extract": true, "messages": Self.conversation])
        #expect(r["facts"] == ["Dana has a beagle named Biscuit.", "Sam has a cat."])
        let ids = r["ids"]?.arrayValue ?? []
        #expect(ids.count == 7, "5 turns and 2 facts")
        let fact = try h.result("memory.get", ["namespace": "n", "id": ids[5]])["memory"]
        #expect(fact?["text"] == "Dana has a beagle named Biscuit." && fact?["source"]?["type"] == "extracted")
        #expect(fact?["derived_from"]?.arrayValue?.count == 5, "derived from the turns, never in their place")
    }
}
