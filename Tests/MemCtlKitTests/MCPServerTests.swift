import Testing
import MemAPI
import MemJSON
@testable import MemCtlKit

/// memctl mcp's protocol side, without a memosd (the live round trip is
/// scripts/test_mcp_sdk.py, against the official SDK).
@Suite struct MCPServerTests {
    func server() -> MCPServer {
        MCPServer(bridge: MCPBridge(client: MemosClient(socketPath: "/nonexistent/memos.sock"), namespace: "t", agent: nil))
    }

    func send(_ server: inout MCPServer, _ message: JSONValue) -> JSONValue? { server.handle(message.jsonBytes) }

    @Test func theHandshakeKeepsAVersionItSpeaksAndOffersItsNewestOtherwise() {
        var s = server()
        for (asked, agreed) in [("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"), ("2024-11-05", "2025-11-25")] {
            let reply = send(&s, ["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["protocolVersion": .string(asked)]])
            #expect(reply?["result"]?["protocolVersion"] == .string(agreed))
            #expect(reply?["result"]?["capabilities"]?["tools"] != nil)
        }
        #expect(send(&s, ["jsonrpc": "2.0", "method": "notifications/initialized"]) == nil)
        #expect(send(&s, ["jsonrpc": "2.0", "id": 2, "method": "ping"])?["result"] == [:])
    }

    @Test func theRequestEnvelopeOf2026NamesItsVersionInEveryRequest() {
        var s = server()
        let meta: JSONValue = ["io.modelcontextprotocol/protocolVersion": "2026-07-28"]
        let discover = send(&s, ["jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": ["_meta": meta]])
        #expect(discover?["result"]?["supportedVersions"] == ["2026-07-28"] && discover?["result"]?["resultType"] == "complete")
        let list = send(&s, ["jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": ["_meta": meta]])
        #expect(list?["result"]?["tools"]?.arrayValue?.count == MCPTools.all.count && list?["result"]?["resultType"] == "complete")
        let unknown = send(&s, ["jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": ["_meta": ["io.modelcontextprotocol/protocolVersion": "2099-01-01"]]])
        #expect(unknown?["error"]?["code"] == .int(-32022) && unknown?["error"]?["data"]?["supported"] == ["2026-07-28"])
    }

    @Test func everyToolsInputSchemaIsClosedAndChecked() {
        for tool in MCPTools.all {
            #expect(tool.input["type"] == "object" && tool.input["additionalProperties"] == false, "\(tool.name)")
            #expect(tool.output["type"] == "object", "\(tool.name)")
        }
        let add = MCPTools.addMemory.input
        #expect(ArgumentCheck.problem(["text": 5], against: add) == "text must be a string")
        #expect(ArgumentCheck.problem([:], against: add) == "text is required")
        #expect(ArgumentCheck.problem(["text": "x", "importance": 3], against: add) == "importance must be at most 1.0")
        #expect(ArgumentCheck.problem(["text": "x", "colour": "red"], against: add)?.hasPrefix("colour is not an argument") == true)
        #expect(ArgumentCheck.problem(["messages": [["role": "user"]]], against: MCPTools.ingestConversation.input) == "messages[0].content is required")
        #expect(ArgumentCheck.problem(["text": "ok", "tags": ["a"]], against: add) == nil)
    }

    @Test func toolFailuresAreToolErrorsAndUnknownToolsProtocolErrors() {
        var s = server()
        let wrong = send(&s, ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["name": "add_memory", "arguments": ["text": 5]]])
        #expect(wrong?["result"]?["isError"] == true)
        let down = send(&s, ["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": "search_memory", "arguments": ["query": "x"]]])
        #expect(down?["result"]?["isError"] == true)
        #expect(down?["result"]?["content"]?[0]?["text"]?.stringValue?.contains("memosd is not running") == true)
        #expect(send(&s, ["jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": ["name": "nope"]])?["error"]?["code"] == .int(-32602))
        #expect(send(&s, ["jsonrpc": "2.0", "id": 4, "method": "resources/list"])?["error"]?["code"] == .int(-32601))
        #expect(s.handle(Array("{not json".utf8))?["error"]?["code"] == .int(-32700))
    }
}
