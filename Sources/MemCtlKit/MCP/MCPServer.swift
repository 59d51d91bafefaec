import Foundation
import MemAPI
import MemJSON

/// `memctl mcp`: a Model Context Protocol server on standard input and
/// output (one JSON-RPC message per line), whose tools (`MCPTools`) call
/// the running memosd.
///
/// Both eras of the protocol: the `initialize` handshake (2025-06-18 and
/// 2025-11-25; an older request is answered with 2025-11-25, the client
/// decides) and the per-request envelope of 2026-07-28 (`server/discover`,
/// then every request carries its version in `_meta`).
///
/// Concurrency: one thread reads a message, answers it, then reads the next;
/// replies go out in order. Nothing but protocol goes to standard output;
/// notes go to standard error.
struct MCPServer {
    static let handshakeVersions = ["2025-06-18", "2025-11-25"]
    static let latestHandshake = "2025-11-25"
    static let modernVersions = ["2026-07-28"]
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let unsupportedVersion: Int64 = -32022
    static let instructions = """
        Long-term memory for this agent (memos). Before you answer, search_memory for what bears on the \
        question; after each exchange, ingest_conversation with its messages (re-sending is harmless). \
        add_memory stores one fact you were told to remember.
        """

    let bridge: MCPBridge
    /// The version `initialize` agreed on (nil before it, and in the 2026 era).
    private(set) var negotiated: String?

    init(bridge: MCPBridge) { self.bridge = bridge }

    var serverInfo: JSONValue { ["name": "memos", "title": "memos long-term memory", "version": .string(MemosVersion.current)] }
    static let capabilities: JSONValue = ["tools": ["listChanged": false]]

    /// Serves until standard input ends.
    mutating func run() {
        while let line = readLine(strippingNewline: true) {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            guard let reply = handle(Array(line.utf8)) else { continue }
            FileHandle.standardOutput.write(Data(reply.jsonBytes + [UInt8(ascii: "\n")]))
        }
    }

    /// The reply to one message, or nil for a notification (or a reply the client sent us).
    mutating func handle(_ bytes: [UInt8]) -> JSONValue? {
        guard let message = try? JSONReader.parse(bytes) else { return Self.error(.null, -32700, "not JSON") }
        guard case .object(let object) = message else { return Self.error(.null, -32600, "a message must be a JSON object") }
        let id = object["id"]
        guard case .string(let method)? = object["method"] else {
            return id == nil || object["result"] != nil || object["error"] != nil ? nil : Self.error(id ?? .null, -32600, "no method")
        }
        guard let id, id != .null else { return nil }  // notifications: initialized, cancelled... need no answer
        let params = object["params"]?.objectValue ?? [:]
        // The 2026 era: the version rides in every request's _meta.
        var modern = false
        if case .string(let version)? = params["_meta"]?[Self.versionKey] {
            guard Self.modernVersions.contains(version) else {
                return Self.error(id, Self.unsupportedVersion, "protocol version \(version) is not supported",
                                  data: ["supported": .array(Self.modernVersions.map(JSONValue.string)), "requested": .string(version)])
            }
            modern = true
        }
        let result: JSONValue
        switch method {
        case "initialize":
            let asked = params["protocolVersion"]?.stringValue ?? ""
            let version = Self.handshakeVersions.contains(asked) ? asked : Self.latestHandshake
            negotiated = version
            result = ["protocolVersion": .string(version), "capabilities": Self.capabilities, "serverInfo": serverInfo,
                      "instructions": .string(Self.instructions)]
        case "server/discover":
            guard modern else {
                return Self.error(id, Self.unsupportedVersion, "server/discover needs a 2026-07-28 request",
                                  data: ["supported": .array(Self.modernVersions.map(JSONValue.string))])
            }
            result = ["supportedVersions": .array(Self.modernVersions.map(JSONValue.string)), "capabilities": Self.capabilities,
                      "instructions": .string(Self.instructions), "cacheScope": "private", "ttlMs": 0,
                      "_meta": .object([Self.serverInfoKey: serverInfo])]
        case "ping":
            result = [:]
        case "tools/list":
            var list: [String: JSONValue] = ["tools": .array(MCPTools.all.map { tool in
                ["name": .string(tool.name), "description": .string(tool.description), "inputSchema": tool.input, "outputSchema": tool.output]
            })]
            if modern {
                list["cacheScope"] = "private"
                list["ttlMs"] = 0
            }
            result = .object(list)
        case "tools/call":
            guard case .string(let name)? = params["name"], let tool = MCPTools.named(name) else {
                return Self.error(id, -32602, "no tool named \(params["name"]?.stringValue ?? "?"); tools/list names them")
            }
            result = call(tool, params["arguments"] ?? [:])
        default:
            return Self.error(id, -32601, "memos serves tools only (no method \(method))")
        }
        guard modern, case .object(var fields) = result else { return ["jsonrpc": "2.0", "id": id, "result": result] }
        fields["resultType"] = "complete"
        return ["jsonrpc": "2.0", "id": id, "result": .object(fields)]
    }

    /// A tool's result; every failure is a tool error (`isError`), never a protocol one.
    func call(_ tool: MCPTool, _ arguments: JSONValue) -> JSONValue {
        if let problem = ArgumentCheck.problem(arguments, against: tool.input) { return Self.toolError(problem) }
        do {
            let output = try tool.run(arguments.objectValue ?? [:], bridge)
            return ["content": [["type": "text", "text": .string(String(decoding: output.jsonBytes, as: UTF8.self))]],
                    "structuredContent": output, "isError": false]
        } catch let refused as MCPBridge.Refused {
            return Self.toolError("memosd refused it: \(refused.message)")
        } catch ClientError.unreachable(let path, let reason) {
            return Self.toolError("memosd is not running (cannot reach \(path): \(reason)); start it with `memosd` (or `make run`), then try again")
        } catch {
            return Self.toolError("\(error)")
        }
    }

    static func toolError(_ text: String) -> JSONValue {
        ["content": [["type": "text", "text": .string(text)]], "isError": true]
    }

    static func error(_ id: JSONValue, _ code: Int64, _ message: String, data: JSONValue? = nil) -> JSONValue {
        var error: [String: JSONValue] = ["code": .int(code), "message": .string(message)]
        if let data { error["data"] = data }
        return ["jsonrpc": "2.0", "id": id, "error": .object(error)]
    }
}
