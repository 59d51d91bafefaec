import Foundation
import MemAPI
import MemCube
import MemJSON

// memctl add, recall, forget, get, update, history, revert, list.
extension Commands {
    static let add = Command(
        name: "add", summary: "Store a memory (or many, one per line, with --lines).",
        about: """
            TEXT is the memory; `-` reads it from standard input.
            """,
        usage: "add TEXT|- [options]  |  add [TEXT] --kind KIND --file PATH --format NAME --model ID",
        options: [
            Option("--lines", "with `-`: every non-empty line is one memory (batched)"),
            Option("--tag", "TAG", "a label (repeat for more)"),
            Option("--agent", "NAME", "the agent writing this memory"),
            Option("--session", "NAME", "the conversation or task it belongs to"),
            Option("--speaker", "NAME", "who said it (a person's name, or a role)"),
            Option("--importance", "X", "0...1 (default 0.5)"),
            Option("--attr", "KEY=VALUE", "an attribute (repeat; VALUE is JSON if it parses, else text)"),
            Option("--occurred-at", "TIME", "when the event happened (ISO 8601)"),
            Option("--valid-from", "TIME", "from when the fact holds (ISO 8601); recall as of earlier ranks it low"),
            Option("--ttl", "SECONDS", "forget it after this long"),
            Option("--derived-from", "ID", "the memory this one was computed from (repeat)"),
            Option("--kind", "KIND", "activation (KV cache) or parameter (e.g. a LoRA adapter)", heading: "Activation and parameter memories (TEXT is then an optional description):"),
            Option("--file", "PATH", "the payload; memctl opens it and hands memosd the open file"),
            Option("--format", "NAME", "safetensors (checked, layout read; docs/payloads.md) or your own name"),
            Option("--model", "ID", "the base model it belongs to"),
        ]
    ) { args, session in
        var item = MemoryAdd.Item()
        if let kind = args.value("--kind"), kind != "plaintext" {
            guard args.positionals.count <= 1 else { throw UsageError("add takes at most one TEXT (a description) with --kind") }
            guard let file = args.value("--file") else { throw UsageError("--kind \(kind) needs --file PATH (the payload)") }
            item.kind = kind
            item.fd = 0  // memctl opens it with your rights; memosd gets the open file, never the name
            item.format = args.value("--format")
            item.model = args.value("--model")
            item.text = args.positionals.first
        } else if args.value("--file") != nil {
            throw UsageError("--file goes with --kind activation or --kind parameter")
        } else {
            guard args.positionals.count == 1 else { throw UsageError("add takes one TEXT argument (quote it), or - for stdin") }
        }
        item.tags = args.all("--tag").isEmpty ? nil : args.all("--tag")
        item.agent = args.value("--agent")
        item.session = args.value("--session")
        item.speaker = args.value("--speaker")
        item.importance = try args.value("--importance").map { try number($0, "--importance") }
        item.ttlSeconds = try args.value("--ttl").map { try number($0, "--ttl") }
        item.occurredAt = try time(args.value("--occurred-at"), "--occurred-at")
        item.validFrom = try time(args.value("--valid-from"), "--valid-from")
        if !args.all("--attr").isEmpty { item.attributes = try attributes(args.all("--attr")) }
        if !args.all("--derived-from").isEmpty { item.derivedFrom = args.all("--derived-from") }
        if item.kind != nil, let file = args.value("--file") {
            let payload = try PassedFile(reading: file)
            defer { payload.close() }
            let result = try session.call(MemoryAdd.self, .init(namespace: session.namespace, item: item), passing: [payload.fd])
            if !session.json { print("\(result.id ?? "?")  v\(result.version ?? 1)") }
            return
        }

        var texts: [String]
        if args.positionals[0] == "-" {
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) { lines.append(line) }
            texts = args.has("--lines") ? lines.filter { !$0.allSatisfy(\.isWhitespace) } : [lines.joined(separator: "\n")]
        } else {
            if args.has("--lines") { throw UsageError("--lines goes with `-` (read from stdin)") }
            texts = [args.positionals[0]]
        }
        if args.has("--lines") {
            var added = 0
            let batch = 500
            for start in stride(from: 0, to: texts.count, by: batch) {
                let items = texts[start..<min(start + batch, texts.count)].map { text in
                    var copy = item
                    copy.text = text
                    return copy
                }
                let result = try session.call(MemoryAdd.self, .init(namespace: session.namespace, items: items))
                added += result.ids?.count ?? 0
                if !session.json { result.ids?.forEach { print($0) } }
            }
            if !session.json { printErr("added \(added) memories to \(session.namespace)") }
            return
        }
        item.text = texts[0]
        let result = try session.call(MemoryAdd.self, .init(namespace: session.namespace, item: item))
        if !session.json { print("\(result.id ?? "?")  v\(result.version ?? 1)") }
    }

    static let recall = Command(
        name: "recall", summary: "Find the memories that best match a query, best first.",
        about: "",
        usage: "recall QUERY [options]",
        options: [
            Option("-k", "N", "how many (default 10)", aliases: ["--k"]),
        ] + filterOptions + [
            Option("--at", "TIME", "\"now\" for time phrases such as \"last week\" (ISO 8601)"),
            Option("--diverse", "X", "0...1: prefer hits unlike those above them (MMR)"),
            Option("--explain", "show each signal's rank and score, the boosts, and how long each step took"),
        ]
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("recall needs a QUERY") }
        let k = try args.value("-k").map { try integer($0, "-k") }
        let filter = try filter(args)
        let result = try session.call(
            MemoryRecall.self,
            .init(namespace: session.namespace, query: args.positionals.joined(separator: " "), k: k, filter: filter,
                  explain: args.has("--explain") ? true : nil,
                  referenceTime: try time(args.value("--at"), "--at"),
                  diversity: try args.value("--diverse").map { try number($0, "--diverse") }))
        guard !session.json else { return }
        if result.hits.isEmpty { printErr("no memories match") }
        for (i, hit) in result.hits.enumerated() {
            let rank = String(i + 1).leftPad(3)
            print("\(rank)  \(String(format4(hit.score)))  \(hit.id)  \(Output.spoken(hit.text, by: hit.speaker))\(Output.tags(hit.tags))")
            if let validTo = hit.validTo { print("      valid until \(validTo.iso8601) (a newer statement replaced it)") }
            if let conflicts = hit.conflictsWith { print("      may conflict with " + conflicts.joined(separator: ", ")) }
            if args.has("--explain") {
                let parts = hit.signals.keys.sorted().map { name -> String in
                    let s = hit.signals[name]!
                    return "\(name) #\(s.rank) (\(format4(s.score)))"
                }
                var line = "      " + parts.joined(separator: "  ")
                if let e = hit.explain {
                    let boosts = e.boosts.keys.sorted().map { "\($0) +\(format4(e.boosts[$0]!))" }
                    line += "  | fused \(format4(e.fused)) " + boosts.joined(separator: " ")
                    if let phrase = e.timePhrase { line += " (\"\(phrase)\")" }
                }
                print(line)
            }
        }
        for summary in result.summaries ?? [] {
            print("  summary  \(summary.id)  \(Output.oneLine(summary.text))")
        }
        if let timings = result.timingsMS {
            let steps = ["embed", "vector", "keyword", "graph", "load", "fusion"].compactMap { name in
                timings[name].map { "\(name) \(fixed($0, places: 2))" }
            }
            print("      took \(fixed(timings["total"] ?? 0, places: 2)) ms: " + steps.joined(separator: ", "))
        }
    }

    static let forget = Command(
        name: "forget", summary: "Forget memories: tombstoned and out of recall, still in history.",
        about: """
            Forgets the memories named, or with filter flags instead of IDs every
            memory that passes the filter (--dry-run counts them first).
            """,
        usage: "forget ID... [--purge] | forget FILTER-FLAGS [--dry-run] [--purge]",
        options: [
            Option("--purge", "erase text, vectors and history for good (the audit log keeps only the id and the fact of the purge)"),
            Option("--dry-run", "with filter flags: count and show what would be forgotten, change nothing"),
            stateOption,
        ] + filterOptions
    ) { args, session in
        let purge = args.has("--purge") ? true : nil
        let filter = try filter(args, extra: args.value("--state").map { ["state": .string($0)] } ?? [:])
        if let filter {
            guard args.positionals.isEmpty else { throw UsageError("forget takes IDs or filter flags, not both") }
            let result = try session.call(
                MemoryForget.self,
                .init(namespace: session.namespace, filter: filter, dryRun: args.has("--dry-run") ? true : nil, purge: purge))
            guard !session.json else { return }
            if args.has("--dry-run") {
                print("would \(args.has("--purge") ? "purge" : "forget") \(result.matched ?? 0)")
                for id in result.ids ?? [] { print(id) }
                if (result.matched ?? 0) > (result.ids ?? []).count { printErr("(the first \((result.ids ?? []).count) shown)") }
            } else {
                print("\(args.has("--purge") ? "purged" : "forgot") \(result.forgotten) of \(result.matched ?? 0) matched")
            }
            return
        }
        guard !args.positionals.isEmpty else { throw UsageError("forget needs at least one ID, or filter flags (--where, --tag, ...)") }
        if args.has("--dry-run") { throw UsageError("--dry-run goes with filter flags") }
        let result = try session.call(MemoryForget.self, .init(namespace: session.namespace, ids: args.positionals, purge: purge))
        if !session.json { print("\(args.has("--purge") ? "purged" : "forgot") \(result.forgotten)") }
    }

    static let get = Command(
        name: "get", summary: "Show one memory (or one version of it), or several.",
        about: """
            With several IDs, shows those found (filter flags keep those that
            pass) and names the rest.
            """,
        usage: "get ID [--version N] [--out FILE] | get ID ID... [FILTER-FLAGS]",
        options: [
            Option("--version", "N", "that version's snapshot instead of the current memory"),
            Option("--out", "FILE", "activation and parameter memories: write the payload to FILE"),
        ] + filterOptions
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("get takes an ID (or several)") }
        let filter = try filter(args)
        if args.positionals.count > 1 || filter != nil {
            if args.value("--version") != nil || args.value("--out") != nil { throw UsageError("--version and --out go with one ID") }
            let result = try session.call(MemoryGet.self, .init(namespace: session.namespace, ids: args.positionals, filter: filter))
            guard !session.json else { return }
            for memory in result.memories ?? [] { Output.memory(memory) }
            for id in result.notFound ?? [] { printErr("not found: \(id)") }
            return
        }
        let version = try args.value("--version").map { try integer($0, "--version") }
        // The payload goes into a file memctl opens (created 0600 if new); memosd writes the open file.
        let out = try args.value("--out").map { try PassedFile(writing: $0) }
        let result: MemoryGet.Result
        do {
            result = try session.call(
                MemoryGet.self, .init(namespace: session.namespace, id: args.positionals[0], version: version, exportFD: out.map { _ in 0 }),
                passing: out.map { [$0.fd] } ?? [])
        } catch {
            out?.discard()
            throw error
        }
        out?.close()
        guard !session.json else { return }
        if let memory = result.memory { Output.memory(memory) }
        if let out { printErr("payload written to \(out.path)") }
        if let v = result.version { printVersion(v, verbose: true) }
    }

    static let update = Command(
        name: "update", summary: "Change a memory; the old state stays in its history.",
        about: "",
        usage: "update ID [options]",
        options: [
            Option("--text", "TEXT", "new text (re-embedded and re-indexed)"),
            Option("--tag", "TAG", "replace the tags (repeat for more)"),
            Option("--importance", "X", "0...1"),
            Option("--session", "NAME", "move it to another session"),
            Option("--attr", "KEY=VALUE", "replace the attributes (repeat)"),
            Option("--occurred-at", "TIME", "when the event happened (ISO 8601)"),
            Option("--ttl", "SECONDS", "expire it after this long (0 removes the TTL)"),
            Option("--expected-version", "N", "fail with a conflict unless it is at version N"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("update takes one ID") }
        var params = MemoryUpdate.Params(namespace: session.namespace, id: args.positionals[0])
        params.text = args.value("--text")
        params.tags = args.all("--tag").isEmpty ? nil : args.all("--tag")
        params.importance = try args.value("--importance").map { try number($0, "--importance") }
        params.session = args.value("--session")
        if !args.all("--attr").isEmpty { params.attributes = try attributes(args.all("--attr")) }
        params.occurredAt = try time(args.value("--occurred-at"), "--occurred-at")
        params.ttlSeconds = try args.value("--ttl").map { try number($0, "--ttl") }
        params.expectedVersion = try args.value("--expected-version").map { try integer($0, "--expected-version") }
        let result = try session.call(MemoryUpdate.self, params)
        if !session.json { print("\(result.id)  v\(result.version)") }
    }

    static let history = Command(
        name: "history", summary: "Every version of a memory, oldest first, with who changed it and how.",
        about: "",
        usage: "history ID",
        options: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("history takes one ID") }
        let result = try session.call(MemoryHistory.self, .init(namespace: session.namespace, id: args.positionals[0]))
        guard !session.json else { return }
        for v in result.versions { printVersion(v, verbose: false) }
    }

    static let revert = Command(
        name: "revert", summary: "Restore an earlier version of a memory (as a new version).",
        about: """
            Brings back version V's text, tags, attributes, importance, state and
            validity; `memctl history ID` shows the versions. A forgotten memory
            comes back; nothing is deleted.
            """,
        usage: "revert ID --to VERSION",
        options: [
            Option("--to", "VERSION", "the version to bring back (required)"),
        ]
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("revert takes one ID") }
        guard let to = args.value("--to") else { throw UsageError("revert needs --to VERSION (memctl history ID lists them)") }
        let r = try session.call(MemoryRevert.self, .init(namespace: session.namespace, id: args.positionals[0], toVersion: try integer(to, "--to")))
        if !session.json { print("\(r.id)  v\(r.version)") }
    }

    static let list = Command(
        name: "list", summary: "List memories, newest first.",
        about: "",
        usage: "list [options]",
        options: [
            Option("--limit", "N", "how many (default 50)"),
            Option("--cursor", "C", "continue after a previous page"),
            stateOption,
            Option("--kind", "KIND", "plaintext, activation or parameter"),
            Option("--model", "ID", "activation and parameter memories of this base model"),
            Option("--tier", "TIER", "working, active or archive"),
        ] + filterOptions
    ) { args, session in
        guard args.positionals.isEmpty else { throw UsageError("list takes no arguments") }
        var listed: [String: JSONValue] = [:]
        for key in ["state", "kind", "model", "tier"] {
            if let value = args.value("--\(key)") { listed[key] = .string(value) }
        }
        let filter = try filter(args, extra: listed)
        let limit = try args.value("--limit").map { try integer($0, "--limit") }
        let result = try session.call(
            MemoryList.self, .init(namespace: session.namespace, filter: filter, limit: limit, cursor: args.value("--cursor")))
        guard !session.json else { return }
        for m in result.memories {
            let state = m.state == "active" ? "" : " [\(m.state)]"
            print("\(m.id)  \(Output.time(m.occurredAt ?? m.createdAt))  \(Output.spoken(m.text, by: m.speaker, width: 80))\(Output.tags(m.tags))\(state)")
        }
        if let next = result.nextCursor { printErr("more: memctl list --cursor \(next)") }
    }
}
