import Foundation
import MemAPI
import MemJSON

// memctl ingest.
extension Commands {
    static let ingest = Command(
        name: "ingest", summary: "Store a conversation: each message becomes a memory with its speaker.",
        about: """
            Reads a JSON list of messages, {"messages": [...]}, or JSON Lines, each
            {"role", "name"?, "content", "timestamp"?, "id"?} (OpenAI-style chat
            messages work as they are). The speaker is the name, else the role;
            system and tool messages are skipped unless --roles names them; long
            messages are split at sentence ends; a message sent again (same id,
            or same content, speaker, time and session) is not stored twice
            (docs/conversations.md).
            """,
        usage: "ingest FILE|- [--session S] [--agent A] [--roles user,assistant,...] [--tag T]... [--extract]",
        options: [
            Option("--session", "NAME", "the conversation these messages belong to"),
            Option("--agent", "NAME", "the agent storing them"),
            Option("--roles", "LIST", "roles to keep (default user,assistant)"),
            Option("--tag", "TAG", "tag every memory (repeat for more)"),
            Option("--extract", "also store facts memosd's chat endpoint (--chat-url) finds"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("ingest takes one FILE, or - for standard input") }
        let path = args.positionals[0]
        let data: Data
        if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let contents = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read \(path)") }
            data = contents
        }
        var records = try readRecords(data, mem0: false)
        if records.count == 1, case .array(let list)? = records[0]["messages"] { records = list }
        let decoder = JSONValueDecoder(rejectUnknownKeys: true)
        let messages = try records.enumerated().map { i, record -> MemoryIngest.Message in
            do { return try decoder.decode(MemoryIngest.Message.self, from: record) } catch {
                throw UsageError("message \(i + 1) is not {role, name?, content, timestamp?, id?}: \(error)")
            }
        }
        let roles = args.value("--roles").map { $0.split(separator: ",").map(String.init) }
        var total = MemoryIngest.Result(ids: [], messages: [], stored: 0, duplicates: 0, skipped: 0, facts: nil)
        for start in stride(from: 0, to: messages.count, by: 500) {
            let r = try session.client.call(MemoryIngest.self, .init(
                namespace: session.namespace, session: args.value("--session"), agent: args.value("--agent"),
                messages: Array(messages[start..<min(start + 500, messages.count)]), roles: roles,
                tags: args.all("--tag").isEmpty ? nil : args.all("--tag"), extract: args.has("--extract") ? true : nil))
            total.ids += r.ids
            total.messages += r.messages.map { var o = $0; o.index += start; return o }
            total.stored += r.stored
            total.duplicates += r.duplicates
            total.skipped += r.skipped
            if let facts = r.facts { total.facts = (total.facts ?? []) + facts }
        }
        if session.json { print(Output.json(total)); return }
        print("stored \(total.stored) messages as \(total.ids.count - (total.facts?.count ?? 0)) memories in \(session.namespace)"
              + " (\(total.duplicates) already there, \(total.skipped) skipped by role)")
        for fact in total.facts ?? [] { print("  fact: \(fact)") }
    }
}
