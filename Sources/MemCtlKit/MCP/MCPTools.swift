import Foundation
import MemAPI
import MemJSON

/// One MCP tool, declared once: its name, what it is for, the JSON Schemas
/// of its input and structured output (shown by `tools/list`; the input
/// one also checks every call, `ArgumentCheck`), and the memosd call it makes.
struct MCPTool: Sendable {
    let name: String
    let description: String
    let input: JSONValue
    let output: JSONValue
    let run: @Sendable ([String: JSONValue], MCPBridge) throws -> JSONValue
}

/// What a tool's call reaches: memosd, in the namespace and as the agent
/// `memctl mcp` was started with.
struct MCPBridge {
    let client: MemosClient
    let namespace: String
    let agent: String?

    /// memosd refused a tool's request: its message (and error name) become the tool error.
    struct Refused: Error {
        let message: String
        let name: String?
    }

    /// One memosd request; memosd's refusal throws `Refused`.
    func call(_ method: String, _ params: [String: JSONValue]) throws -> JSONValue {
        var withNamespace = params
        withNamespace["namespace"] = .string(namespace)
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .object(withNamespace)]
        let reply = try JSONReader.parse(try client.send(Data(request.jsonBytes)))
        if let error = reply["error"] {
            throw Refused(message: error["message"]?.stringValue ?? "memosd refused the request", name: error["data"]?["name"]?.stringValue)
        }
        guard let result = reply["result"] else { throw ClientError.protocolError("a reply with neither result nor error") }
        return result
    }
}

/// The tools `memctl mcp` serves, in `tools/list` order.
enum MCPTools {
    static let all: [MCPTool] = [addMemory, searchMemory, ingestConversation, getMemory, memoryHistory, listMemories, forgetMemory, consolidate]

    static func named(_ name: String) -> MCPTool? { all.first { $0.name == name } }

    // Schema pieces, written once.
    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = true) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }
    static func string(_ description: String, maxLength: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "description": .string(description), "minLength": 1]
        if let maxLength { schema["maxLength"] = .int(Int64(maxLength)) }
        return .object(schema)
    }
    static func integer(_ description: String, _ range: ClosedRange<Int>) -> JSONValue {
        ["type": "integer", "description": .string(description), "minimum": .int(Int64(range.lowerBound)), "maximum": .int(Int64(range.upperBound))]
    }
    static let id = string("a memory id (26 characters, as add_memory and search_memory return)", maxLength: 26)
    static let strings: JSONValue = ["type": "array", "items": ["type": "string"]]
    static let anyObject: JSONValue = ["type": "object"]
    static let filter = object([
        "tags": strings, "agent": string("only this agent's memories"), "session": string("only this conversation's memories"),
        "speaker": string("only what this speaker said"), "since": string("ISO 8601 time: only events at or after it"),
        "until": string("ISO 8601 time: only events at or before it"),
    ])
    /// A memory as the tools show it (memosd's fields; open to more).
    static let memory = object([
        "id": ["type": "string"], "text": ["type": "string"], "speaker": ["type": "string"], "session": ["type": "string"],
        "tags": strings, "version": ["type": "integer"], "state": ["type": "string"], "occurred_at": ["type": "string"],
        "created_at": ["type": "string"], "score": ["type": "number"],
    ], closed: false)

    static let addMemory = MCPTool(
        name: "add_memory",
        description: "Store one memory: a fact, preference or event worth keeping across conversations. Returns its id.",
        input: object([
            "text": string("what to remember, as a self-contained sentence", maxLength: 65_536),
            "tags": strings, "session": string("the conversation it belongs to"), "speaker": string("who said it"),
            "attributes": anyObject, "importance": ["type": "number", "minimum": 0, "maximum": 1, "description": "0 to 1 (default 0.5)"],
            "occurred_at": string("ISO 8601 time it happened"),
            "ttl_seconds": ["type": "number", "minimum": 1, "description": "forget it after this many seconds"],
        ], required: ["text"]),
        output: object(["id": ["type": "string"], "version": ["type": "integer"]], required: ["id"], closed: false)
    ) { args, bridge in
        var params = args
        if let agent = bridge.agent { params["agent"] = .string(agent) }
        return try bridge.call(MemoryAdd.name, params)
    }

    static let searchMemory = MCPTool(
        name: "search_memory",
        description: "Search long-term memory before answering: the memories that bear on the query, best first (vector, keyword and graph recall, fused).",
        input: object([
            "query": string("what to look for, in plain words", maxLength: 8192), "k": integer("how many memories (default 10)", 1...50),
            "filter": filter,
        ], required: ["query"]),
        output: object(["hits": ["type": "array", "items": memory]], required: ["hits"])
    ) { args, bridge in
        var params = args
        if params["k"] == nil { params["k"] = 10 }
        let result = try bridge.call(MemoryRecall.name, params)
        return ["hits": .array((result["hits"]?.arrayValue ?? []).map { shown($0, keeping: ["score"]) })]
    }

    static let ingestConversation = MCPTool(
        name: "ingest_conversation",
        description: "Store the messages of a conversation after an exchange; each becomes a memory with its speaker. Sending the same messages again stores nothing twice.",
        input: object([
            "messages": ["type": "array", "maxItems": 1000, "items": object([
                "role": string("user, assistant, system, tool..."), "name": string("the speaker's name"),
                "content": ["type": "string"], "timestamp": string("ISO 8601"), "id": string("the message's id"),
            ], required: ["role", "content"])],
            "session": string("the conversation these messages belong to"),
            "roles": strings,
        ], required: ["messages"]),
        output: object([
            "stored": ["type": "integer"], "duplicates": ["type": "integer"], "skipped": ["type": "integer"], "ids": strings,
        ], required: ["stored", "ids"], closed: false)
    ) { args, bridge in
        var params = args
        if let agent = bridge.agent { params["agent"] = .string(agent) }
        let result = try bridge.call(MemoryIngest.name, params)
        return ["stored": result["stored"] ?? 0, "duplicates": result["duplicates"] ?? 0, "skipped": result["skipped"] ?? 0,
                "ids": result["ids"] ?? []]
    }

    static let getMemory = MCPTool(
        name: "get_memory",
        description: "One memory by id, as it is now.",
        input: object(["id": id], required: ["id"]),
        output: object(["memory": memory], required: ["memory"])
    ) { args, bridge in
        let result = try bridge.call(MemoryGet.name, args)
        return ["memory": shown(result["memory"] ?? [:], keeping: ["attributes", "agent", "updated_at", "importance", "tier"])]
    }

    static let memoryHistory = MCPTool(
        name: "memory_history",
        description: "Every version of a memory, oldest first: what it said, who changed it and how.",
        input: object(["id": id], required: ["id"]),
        output: object(["versions": ["type": "array", "items": object([
            "version": ["type": "integer"], "text": ["type": "string"], "operation": ["type": "string"], "at": ["type": "string"],
        ], closed: false)]], required: ["versions"])
    ) { args, bridge in
        let result = try bridge.call(MemoryHistory.name, args)
        return ["versions": .array((result["versions"]?.arrayValue ?? []).map { version in
            .object((version.objectValue ?? [:]).filter { ["version", "text", "operation", "state", "at", "agent", "tags"].contains($0.key) })
        })]
    }

    static let listMemories = MCPTool(
        name: "list_memories",
        description: "The memories stored, newest first, a page at a time (pass next_cursor back for more).",
        input: object(["limit": integer("memories per page (default 20)", 1...100), "cursor": string("next_cursor of the previous page"), "filter": filter]),
        output: object(["memories": ["type": "array", "items": memory], "next_cursor": ["type": "string"]], required: ["memories"])
    ) { args, bridge in
        var params = args
        if params["limit"] == nil { params["limit"] = 20 }
        let result = try bridge.call(MemoryList.name, params)
        var output: [String: JSONValue] = ["memories": .array((result["memories"]?.arrayValue ?? []).map { shown($0, keeping: []) })]
        if let cursor = result["next_cursor"], cursor != .null { output["next_cursor"] = cursor }
        return .object(output)
    }

    static let forgetMemory = MCPTool(
        name: "forget_memory",
        description: "Forget a memory: out of search, kept in its history. purge: true erases it for good.",
        input: object(["id": id, "purge": ["type": "boolean", "description": "erase it and its history (cannot be undone)"]], required: ["id"]),
        output: object(["forgotten": ["type": "integer"]], required: ["forgotten"])
    ) { args, bridge in
        var params = args
        if let agent = bridge.agent { params["agent"] = .string(agent) }
        return ["forgotten": try bridge.call(MemoryForget.name, params)["forgotten"] ?? 0]
    }

    static let consolidate = MCPTool(
        name: "consolidate",
        description: "Tidy this namespace's memory now: merge duplicates, supersede outdated facts, summarize long sessions (every change is undoable).",
        input: object(["dry_run": ["type": "boolean", "description": "only report what would change"]]),
        output: object(["run_id": ["type": "string"], "state": ["type": "string"], "changed": ["type": "object"]], required: ["run_id"], closed: false)
    ) { args, bridge in
        var params = args
        params["wait"] = true
        let result = try bridge.call(ConsolidateRun.name, params)
        let steps = result["report"]?["steps"]?.objectValue ?? [:]
        return [
            "run_id": result["run_id"] ?? "", "state": result["report"]?["state"] ?? "done",
            "changed": .object(steps.mapValues { $0["changed"] ?? 0 }),
        ]
    }

    /// A memory or hit with the fields an agent needs (and `keeping`).
    static func shown(_ value: JSONValue, keeping extra: Set<String>) -> JSONValue {
        let fields: Set<String> = ["id", "text", "speaker", "session", "tags", "version", "state", "occurred_at", "created_at"]
        return .object((value.objectValue ?? [:]).filter { fields.contains($0.key) || extra.contains($0.key) })
    }
}
