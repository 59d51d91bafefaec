import Foundation
import MemAPI

// memctl mcp.
extension Commands {
    static let mcp = Command(
        name: "mcp", summary: "Serve memosd to an MCP host (Model Context Protocol, on stdin/stdout).",
        about: """
            An MCP host (a desktop assistant, a coding agent, an IDE) starts this
            command and talks MCP to it; its tools (add_memory, search_memory,
            ingest_conversation, get_memory, memory_history, list_memories,
            forget_memory, consolidate) call the running memosd in the namespace
            given with -n (or MEMOS_NAMESPACE) as the agent given with --agent
            (or MEMOS_AGENT). Protocol versions 2025-06-18, 2025-11-25 and
            2026-07-28. docs/integrations.md has the host configuration.
            """,
        usage: "mcp [-n NS] [--agent NAME]",
        options: [
            Option("--agent", "NAME", "the agent the memories are stored as (env MEMOS_AGENT)"),
        ]
    ) { args, session in
        guard args.positionals.isEmpty else { throw UsageError("mcp takes no arguments (an MCP host talks to it on stdin)") }
        let environment = ProcessInfo.processInfo.environment
        let agent = args.value("--agent") ?? environment["MEMOS_AGENT"].flatMap { $0.isEmpty ? nil : $0 }
        if (try? session.client.call(SystemHealth.self, NoParams())) == nil {
            printErr("memctl mcp: memosd is not answering at \(session.client.socketPath) yet; tools will say so until it is started (memosd, or make run)")
        }
        var server = MCPServer(bridge: MCPBridge(client: session.client, namespace: session.namespace, agent: agent))
        server.run()
    }
}
