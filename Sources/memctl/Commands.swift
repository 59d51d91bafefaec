#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MemAPI
import MemCube
import MemJSON

enum Commands {
    static let all: [Command] = [
        add, recall, forget, get, update, history, revert, list, link, neighbors, fuse, compose, status, promote, demote, pin, unpin,
        touch, tick, subscribe, complete, fail, consolidate, stats, health, reindex,
    ]

    static func named(_ name: String) -> Command? { all.first { $0.name == name } }

    // MARK: add

    static let add = Command(
        name: "add", summary: "Store a memory (or many, one per line, with --lines).",
        help: """
            TEXT is the memory; `-` reads it from standard input.
            Options:
              --lines              with `-`: every non-empty line is one memory (batched)
              --tag TAG            a label (repeat for more)
              --agent NAME         the agent writing this memory
              --session NAME       the conversation or task it belongs to
              --importance X       0...1 (default 0.5)
              --attr KEY=VALUE     an attribute (repeat; VALUE is JSON if it parses, else text)
              --occurred-at TIME   when the event happened (ISO 8601)
              --ttl SECONDS        forget it after this long
              --derived-from ID    the memory this one was computed from (repeat)
            Activation and parameter memories (TEXT is then an optional description):
              --kind KIND          activation (KV cache) or parameter (e.g. a LoRA adapter)
              --file PATH          the payload; memosd reads it (absolute path, readable by you)
              --format NAME        safetensors (checked, layout read; docs/payloads.md) or your own name
              --model ID           the base model it belongs to
            """,
        usage: "add TEXT|- [options]  |  add [TEXT] --kind KIND --file PATH --format NAME --model ID",
        valued: [
            "--tag", "--agent", "--session", "--importance", "--attr", "--occurred-at", "--ttl", "--derived-from",
            "--kind", "--file", "--format", "--model",
        ],
        flags: ["--lines"]
    ) { args, session in
        var item = MemoryAdd.Item()
        if let kind = args.value("--kind"), kind != "plaintext" {
            guard args.positionals.count <= 1 else { throw UsageError("add takes at most one TEXT (a description) with --kind") }
            guard let file = args.value("--file") else { throw UsageError("--kind \(kind) needs --file PATH (the payload)") }
            item.kind = kind
            item.path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
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
        item.importance = try args.value("--importance").map { try number($0, "--importance") }
        item.ttlSeconds = try args.value("--ttl").map { try number($0, "--ttl") }
        item.occurredAt = try args.value("--occurred-at").map { text throws(UsageError) in
            guard let t = Timestamp(iso8601: text) else { throw UsageError("--occurred-at must be ISO 8601, e.g. 2024-05-08T13:56:00Z") }
            return t
        }
        if !args.all("--attr").isEmpty { item.attributes = try attributes(args.all("--attr")) }
        if !args.all("--derived-from").isEmpty { item.derivedFrom = args.all("--derived-from") }
        if item.kind != nil {
            let result = try session.call(MemoryAdd.self, .init(namespace: session.namespace, item: item))
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

    // MARK: recall

    static let recall = Command(
        name: "recall", summary: "Find the memories that best match a query, best first.",
        help: """
            Options:
              -k N                 how many (default 10)
              --tag TAG            only memories with this tag (repeat: all of them)
              --agent NAME         only this agent's memories
              --session NAME       only this session's memories
              --since TIME         only events at or after TIME (ISO 8601)
              --until TIME         only events at or before TIME
              --at TIME            "now" for time phrases such as "last week" (ISO 8601)
              --diverse X          0...1: prefer hits unlike those above them (MMR)
              --explain            show each signal's rank and score, the boosts, and
                                   how long each step took
            """,
        usage: "recall QUERY [options]",
        valued: ["--k", "--tag", "--agent", "--session", "--since", "--until", "--at", "--diverse"], flags: ["--explain"]
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("recall needs a QUERY") }
        let k = try args.value("--k").map { try integer($0, "-k") }
        let filter = try filter(args)
        let result = try session.call(
            MemoryRecall.self,
            .init(namespace: session.namespace, query: args.positionals.joined(separator: " "), k: k, filter: filter,
                  explain: args.has("--explain") ? true : nil,
                  referenceTime: try args.value("--at").map { text throws(UsageError) in
                      guard let t = Timestamp(iso8601: text) else { throw UsageError("--at must be ISO 8601, e.g. 2024-05-08") }
                      return t
                  },
                  diversity: try args.value("--diverse").map { try number($0, "--diverse") }))
        guard !session.json else { return }
        if result.hits.isEmpty { printErr("no memories match") }
        for (i, hit) in result.hits.enumerated() {
            let rank = String(i + 1).leftPad(3)
            print("\(rank)  \(String(format4(hit.score)))  \(hit.id)  \(Output.oneLine(hit.text))\(Output.tags(hit.tags))")
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

    // MARK: forget

    static let forget = Command(
        name: "forget", summary: "Forget memories: tombstoned and out of recall, still in history.",
        help: """
            Options:
              --purge              erase text, vectors and history for good (the audit log
                                   keeps only the id and the fact of the purge)
            """,
        usage: "forget ID... [--purge]", valued: [], flags: ["--purge"]
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("forget needs at least one ID") }
        let result = try session.call(
            MemoryForget.self,
            .init(namespace: session.namespace, ids: args.positionals, purge: args.has("--purge") ? true : nil))
        if !session.json { print("\(args.has("--purge") ? "purged" : "forgot") \(result.forgotten)") }
    }

    // MARK: get

    static let get = Command(
        name: "get", summary: "Show one memory (or one version of it).",
        help: """
            Options:
              --version N          that version's snapshot instead of the current memory
              --out FILE           activation and parameter memories: write the payload to FILE
            """,
        usage: "get ID [--version N] [--out FILE]", valued: ["--version", "--out"], flags: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("get takes one ID") }
        let version = try args.value("--version").map { try integer($0, "--version") }
        let out = args.value("--out").map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let result = try session.call(
            MemoryGet.self, .init(namespace: session.namespace, id: args.positionals[0], version: version, exportTo: out))
        guard !session.json else { return }
        if let memory = result.memory { Output.memory(memory) }
        if let written = result.exportedTo { printErr("payload written to \(written)") }
        if let v = result.version { printVersion(v, verbose: true) }
    }

    // MARK: update

    static let update = Command(
        name: "update", summary: "Change a memory; the old state stays in its history.",
        help: """
            Options:
              --text TEXT          new text (re-embedded and re-indexed)
              --tag TAG            replace the tags (repeat for more)
              --importance X       0...1
              --session NAME       move it to another session
              --attr KEY=VALUE     replace the attributes (repeat)
              --occurred-at TIME   when the event happened (ISO 8601)
              --ttl SECONDS        expire it after this long (0 removes the TTL)
              --expected-version N fail with a conflict unless it is at version N
            """,
        usage: "update ID [options]",
        valued: ["--text", "--tag", "--importance", "--session", "--attr", "--occurred-at", "--ttl", "--expected-version"],
        flags: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("update takes one ID") }
        var params = MemoryUpdate.Params(namespace: session.namespace, id: args.positionals[0])
        params.text = args.value("--text")
        params.tags = args.all("--tag").isEmpty ? nil : args.all("--tag")
        params.importance = try args.value("--importance").map { try number($0, "--importance") }
        params.session = args.value("--session")
        if !args.all("--attr").isEmpty { params.attributes = try attributes(args.all("--attr")) }
        params.occurredAt = try args.value("--occurred-at").map { text throws(UsageError) in
            guard let t = Timestamp(iso8601: text) else { throw UsageError("--occurred-at must be ISO 8601") }
            return t
        }
        params.ttlSeconds = try args.value("--ttl").map { try number($0, "--ttl") }
        params.expectedVersion = try args.value("--expected-version").map { try integer($0, "--expected-version") }
        let result = try session.call(MemoryUpdate.self, params)
        if !session.json { print("\(result.id)  v\(result.version)") }
    }

    // MARK: history

    static let history = Command(
        name: "history", summary: "Every version of a memory, oldest first, with who changed it and how.",
        help: "", usage: "history ID", valued: [], flags: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("history takes one ID") }
        let result = try session.call(MemoryHistory.self, .init(namespace: session.namespace, id: args.positionals[0]))
        guard !session.json else { return }
        for v in result.versions { printVersion(v, verbose: false) }
    }

    // MARK: list

    static let list = Command(
        name: "list", summary: "List memories, newest first.",
        help: """
            Options:
              --limit N            how many (default 50)
              --cursor C           continue after a previous page
              --state STATE        active (default), superseded, forgotten or any
              --kind KIND          plaintext, activation or parameter
              --model ID           activation and parameter memories of this base model
              --tier TIER          working, active or archive
              --tag, --agent, --session, --since, --until   as for recall
            """,
        usage: "list [options]",
        valued: [
            "--limit", "--cursor", "--state", "--kind", "--model", "--tier", "--tag", "--agent", "--session", "--since", "--until",
        ], flags: []
    ) { args, session in
        guard args.positionals.isEmpty else { throw UsageError("list takes no arguments") }
        var filter = try filter(args) ?? WireFilter()
        filter.state = args.value("--state")
        filter.kind = args.value("--kind")
        filter.model = args.value("--model")
        filter.tier = args.value("--tier")
        let limit = try args.value("--limit").map { try integer($0, "--limit") }
        let result = try session.call(
            MemoryList.self, .init(namespace: session.namespace, filter: filter, limit: limit, cursor: args.value("--cursor")))
        guard !session.json else { return }
        for m in result.memories {
            let state = m.state == "active" ? "" : " [\(m.state)]"
            print("\(m.id)  \(Output.time(m.occurredAt ?? m.createdAt))  \(Output.oneLine(m.text, width: 80))\(Output.tags(m.tags))\(state)")
        }
        if let next = result.nextCursor { printErr("more: memctl list --cursor \(next)") }
    }

    // MARK: stats, health

    static let stats = Command(
        name: "stats", summary: "Counts, sizes and traffic of the daemon.", help: "", usage: "stats", valued: [], flags: []
    ) { _, session in
        let s = try session.call(SystemStats.self, NoParams())
        guard !session.json else { return }
        print("embedder    \(s.embedder)")
        print("database    \(bytes(s.databaseBytes)) (+ \(bytes(s.walBytes)) WAL)")
        print("memories    \(s.versions) versions, \(s.vectors) vectors, \(s.indexedVectors) indexed")
        print("traffic     \(s.requests) requests, \(s.errors) errors, \(s.connections) connected, up \(Int(s.uptimeSeconds)) s")
        for n in s.namespaces {
            print("  \(n.namespace.padding(20))\(n.active) active, \(n.superseded) superseded, \(n.forgotten) forgotten")
        }
    }

    static let health = Command(
        name: "health", summary: "Is memosd up?", help: "", usage: "health", valued: [], flags: []
    ) { _, session in
        let h = try session.call(SystemHealth.self, NoParams())
        if !session.json { print("\(h.status)  memosd \(h.version), up \(Int(h.uptimeSeconds)) s, embedder \(h.embedder)") }
    }

    static let link = Command(
        name: "link", summary: "Link two memories; recall's graph signal follows links.",
        help: """
            Options:
              --type TYPE          what the link means (default related)
              --weight W           0...1 (default 1)
            """,
        usage: "link FROM_ID TO_ID [--type TYPE] [--weight W]", valued: ["--type", "--weight"], flags: []
    ) { args, session in
        guard args.positionals.count == 2 else { throw UsageError("link takes two IDs: FROM and TO") }
        let result = try session.call(MemoryLink.self, .init(
            namespace: session.namespace, from: args.positionals[0], to: args.positionals[1], type: args.value("--type"),
            weight: try args.value("--weight").map { try number($0, "--weight") }))
        if !session.json { print("\(result.from) -[\(result.type) \(result.weight)]-> \(result.to)") }
    }

    static let fuse = Command(
        name: "fuse", summary: "Merge parameter memories (LoRA adapters of one model) into a new one.",
        help: """
            Options:
              --weights LIST       one weight per id, e.g. 0.7,0.3 (default all 1)
              --method METHOD      cat (default: exact, ranks add up) or linear (one rank)
              --text TEXT          a description of the result
            """,
        usage: "fuse ID ID... [--weights W,W...] [--method cat|linear] [--text TEXT]",
        valued: ["--weights", "--method", "--text"], flags: []
    ) { args, session in
        guard args.positionals.count >= 2 else { throw UsageError("fuse takes two or more IDs") }
        let weights = try args.value("--weights").map { list throws(UsageError) in
            var parsed: [Double] = []
            for part in list.split(separator: ",") { parsed.append(try number(String(part), "--weights")) }
            return parsed
        }
        let result = try session.call(MemoryFuse.self, .init(
            namespace: session.namespace, ids: args.positionals, weights: weights, method: args.value("--method"),
            text: args.value("--text")))
        if !session.json { print("\(result.id)  v\(result.version)") }
    }

    static let compose = Command(
        name: "compose", summary: "Concatenate activation memories (KV snapshots of one model) along their tokens.",
        help: """
            Options:
              --text TEXT          a description of the result
            """,
        usage: "compose ID ID... [--text TEXT]", valued: ["--text"], flags: []
    ) { args, session in
        guard args.positionals.count >= 2 else { throw UsageError("compose takes two or more IDs, in order") }
        let result = try session.call(MemoryCompose.self, .init(namespace: session.namespace, ids: args.positionals, text: args.value("--text")))
        if !session.json { print("\(result.id)  v\(result.version)") }
    }

    // MARK: scheduler

    static let status = Command(
        name: "status", summary: "Tier usage at a glance, the budgets and the latest moves.",
        help: """
            Options:
              --events N           how many recent moves to show (default 10)
            """,
        usage: "status [--events N]", valued: ["--events"], flags: []
    ) { args, session in
        let events = try args.value("--events").map { try integer($0, "--events") } ?? 10
        let r = try session.call(SchedulerStatus.self, .init(events: events))
        guard !session.json else { return }
        let budget = r.budgets["working"]
        for tier in ["working", "active", "archive"] {
            let usage = r.tiers[tier] ?? .init(count: 0, bytes: 0)
            var line = tier.padding(9) + String(usage.count).leftPad(9) + " memories " + bytes(Int64(usage.bytes)).leftPad(10)
            if tier == "working", let budget {
                line += "   of \(budget.count) memories / \(bytes(Int64(budget.bytes)));"
                line += " in RAM: \(r.workingRAM.count) memories, \(bytes(Int64(r.workingRAM.bytes)))"
            }
            print(line)
        }
        print("pinned   " + String(r.pinned).leftPad(9) + "   last tick " + (r.lastTick?.iso8601 ?? "not yet"))
        let jobs = ["queued", "dispatched", "done", "failed"].map { "\($0) \(r.jobs[$0] ?? 0)" }.joined(separator: ", ")
        print("runners  " + String(r.runners).leftPad(9) + "   jobs: " + jobs)
        for event in r.events {
            print("  \(event.at.iso8601)  \(event.id)  \(event.from) → \(event.to)  \(event.reason)")
        }
    }

    static func moveCommand(_ name: String, up: Bool) -> Command {
        Command(
            name: name, summary: up ? "Move a memory up a tier (archive → active → working)." : "Move a memory down a tier (working → active → archive).",
            help: """
                Options:
                  --to TIER            straight to working, active or archive
                """,
            usage: "\(name) ID [--to TIER]", valued: ["--to"], flags: []
        ) { args, session in
            guard args.positionals.count == 1 else { throw UsageError("\(name) takes one ID") }
            let params = SchedulerMove.Params(namespace: session.namespace, id: args.positionals[0], tier: args.value("--to"))
            let r = up ? try session.call(SchedulerPromote.self, params) : try session.call(SchedulerDemote.self, params)
            if !session.json { print("\(r.id)  \(r.from) → \(r.to)") }
        }
    }

    static let promote = moveCommand("promote", up: true)
    static let demote = moveCommand("demote", up: false)

    static func pinCommand(_ name: String, pinned: Bool) -> Command {
        Command(
            name: name, summary: pinned ? "Pin a memory: the scheduler never moves it." : "Let the scheduler move a memory again.",
            help: "", usage: "\(name) ID", valued: [], flags: []
        ) { args, session in
            guard args.positionals.count == 1 else { throw UsageError("\(name) takes one ID") }
            let params = SchedulerPinning.Params(namespace: session.namespace, id: args.positionals[0])
            let r = pinned ? try session.call(SchedulerPin.self, params) : try session.call(SchedulerUnpin.self, params)
            if !session.json { print("\(r.id)  \(r.pinned ? "pinned" : "unpinned") in \(r.tier)") }
        }
    }

    static let pin = pinCommand("pin", pinned: true)
    static let unpin = pinCommand("unpin", pinned: false)

    static let touch = Command(
        name: "touch", summary: "Count a use of memories (as a recall hit does): they heat up.",
        help: "", usage: "touch ID...", valued: [], flags: []
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("touch takes one or more IDs") }
        let r = try session.call(SchedulerTouch.self, .init(namespace: session.namespace, ids: args.positionals))
        if !session.json { print("touched \(r.touched)") }
    }

    static let tick = Command(
        name: "tick", summary: "Run the scheduler now and show the moves it made.",
        help: "", usage: "tick", valued: [], flags: []
    ) { args, session in
        let r = try session.call(SchedulerTick.self, NoParams())
        guard !session.json else { return }
        if r.moves.isEmpty { print("no moves") }
        for move in r.moves { print("\(move.id)  \(move.from) → \(move.to)  \(move.reason)") }
    }

    static let subscribe = Command(
        name: "subscribe", summary: "Act as a model runner: print each job memosd sends, one JSON line per job.",
        help: """
            Stays connected and prints the params of every scheduler.job
            notification on stdout (see docs/runners.md), so a script can
            compute the snapshot, `memctl add --kind activation ...` it and
            report with `memctl complete JOB_ID ID` or `memctl fail JOB_ID REASON`.
            Options:
              --model ID           a model this runner serves (repeat for more; required)
              --name NAME          how status shows this runner
              --once               exit after the first job
            """,
        usage: "subscribe --model ID [--model ID]... [--name NAME] [--once]", valued: ["--model", "--name"], flags: ["--once"]
    ) { args, session in
        let models = args.all("--model")
        guard !models.isEmpty else { throw UsageError("subscribe needs --model ID (the model this runner serves)") }
        let fd: Int32
        do { fd = try SocketIO.connect(path: session.client.socketPath) } catch {
            throw ClientError.unreachable(path: session.client.socketPath, reason: "\(error)")
        }
        defer { SocketIO.close(fd) }
        let request = RPCRequestLine(method: SchedulerSubscribe.name, params: SchedulerSubscribe.Params(models: models, name: args.value("--name")))
        try SocketIO.writeAll(fd, try JSONEncoder().encode(request) + [UInt8(ascii: "\n")])
        var reader = LineReader(fd: fd, maxFrameBytes: 64 << 20)
        while case .line(let line) = try reader.next() {
            guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) else { continue }
            if let error = message["error"] {
                throw ClientError.protocolError("memosd refused the subscription: \(error["message"]?.stringValue ?? "\(error)")")
            }
            if message["result"] != nil {
                printErr("subscribed for \(models.joined(separator: ", ")); waiting for jobs (Ctrl-C stops)")
                continue
            }
            guard message["method"] == "scheduler.job", let params = message["params"] else { continue }
            print(Output.json(params))
            fflush(nil)  // a script reads each job as it comes
            if args.has("--once") { return }
        }
    }

    static func reportCommand(_ name: String, complete: Bool) -> Command {
        Command(
            name: name, summary: complete ? "Report a runner's job done: the activation memory it added." : "Report a runner's job failed.",
            help: "", usage: complete ? "complete JOB_ID MEMORY_ID" : "fail JOB_ID REASON", valued: [], flags: []
        ) { args, session in
            guard args.positionals.count == 2 else { throw UsageError("\(name) takes JOB_ID and \(complete ? "MEMORY_ID" : "REASON")") }
            let (job, detail) = (args.positionals[0], args.positionals[1])
            let r = complete
                ? try session.call(SchedulerComplete.self, .init(jobID: job, id: detail))
                : try session.call(SchedulerFail.self, .init(jobID: job, error: detail))
            if !session.json { print("\(r.jobID)  \(r.state)") }
        }
    }

    static let complete = reportCommand("complete", complete: true)
    static let fail = reportCommand("fail", complete: false)

    static let consolidate = Command(
        name: "consolidate", summary: "Run the consolidation job now (dedupe, merge, supersede, summarize...) and show its report.",
        help: """
            Runs on the namespace given with -n (default: MEMOS_NAMESPACE or
            "default"); with --changed on every namespace changed since its last
            run (what the nightly run does); with --all on every namespace.
            Steps, in order: expire, dedupe, merge, supersede, summarize, decay,
            upkeep (docs/consolidation.md). Every change is a new version with
            operation consolidate:<step> and the run id, so --undo takes a
            whole run back and `memctl revert ID --to V` one memory.
            Progress shows on standard error while the run goes on.
            Options:
              --changed            every namespace changed since its last run
              --all                every namespace
              --dry-run            list what would change, change nothing
              --steps LIST         e.g. dedupe,merge (default: every step)
              --report RUN         show an earlier run's stored report
              --undo RUN           revert everything run RUN changed
            """,
        usage: "consolidate [--changed|--all] [--dry-run] [--steps a,b] | consolidate --report RUN | consolidate --undo RUN",
        valued: ["--steps", "--report", "--undo"], flags: ["--all", "--changed", "--dry-run"]
    ) { args, session in
        if let run = args.value("--undo") {
            let r = try session.call(ConsolidateUndo.self, .init(runID: run))
            guard !session.json else { return }
            print("\(r.runID) undone: \(r.undo.changed) changes taken back, \(r.undo.skipped) memories left alone (changed since the run)")
            for item in r.undo.items { print("  \(item)") }
            return
        }
        let report: ConsolidateRun.Report
        if let run = args.value("--report") {
            report = try session.call(ConsolidateReport.self, .init(runID: run)).report
        } else {
            if args.has("--all"), args.has("--changed") { throw UsageError("give --all or --changed, not both") }
            let steps = args.value("--steps").map { $0.split(separator: ",").map(String.init) }
            let everywhere = args.has("--all") || args.has("--changed")
            let started = try session.client.call(ConsolidateRun.self, .init(
                namespace: everywhere ? nil : session.namespace, all: args.has("--all") ? true : nil,
                dryRun: args.has("--dry-run") ? true : nil, steps: steps, wait: false))
            report = try follow(started.runID, session: session)
            if session.json { print(Output.json(ConsolidateReport.Result(report: report))) }
        }
        guard !session.json else { return }
        printReport(report)
        if report.state == "failed" { throw ClientError.protocolError("the run failed: \(report.error ?? "no reason given")") }
    }

    /// Polls a run's status until it ends, drawing progress on standard
    /// error: one line redrawn on a terminal, a line per finished step otherwise.
    static func follow(_ runID: String, session: Session) throws -> ConsolidateRun.Report {
        let terminal = isatty(2) == 1
        var announced = Set<String>()
        let quiet = session.json  // scripts get the JSON report only
        while true {
            guard let report = try session.client.call(ConsolidateStatus.self, .init(runID: runID)).report else {
                throw ClientError.protocolError("memosd lost run \(runID)")
            }
            for name in report.plan where !quiet && report.steps[name]?.finished == true && !announced.contains(name) {
                announced.insert(name)
                let step = report.steps[name]!
                if terminal { writeErr("\r\u{1B}[K") }
                printErr("\(name.padding(10)) \(step.changed) \(report.dryRun ? "would change" : "changed")")
            }
            if report.state != "running" {
                return report
            }
            if terminal, !quiet, let current = report.current, let step = report.steps[current] {
                let of = step.total.map { "/\($0)" } ?? ""
                let line = "\r\u{1B}[K\(current): \(step.examined)\(of) examined, \(step.changed) \(report.dryRun ? "would change" : "changed")"
                writeErr(line)
            }
            usleep(200_000)
        }
    }

    static func printReport(_ report: ConsolidateRun.Report) {
        let scope = report.namespace ?? (report.all ? "all namespaces" : "changed namespaces")
        print("\(report.runID)  \(scope)  \(report.state)\(report.dryRun ? " (dry run: nothing changed)" : "")")
        if report.namespace == nil {
            print("  namespaces: \(report.namespaces.isEmpty ? "none" : report.namespaces.joined(separator: ", "))"
                + (report.unchanged.isEmpty ? "" : "; unchanged, left alone: \(report.unchanged.joined(separator: ", "))"))
        }
        if let finished = report.finishedAt {
            let milliseconds = finished.millis - report.startedAt.millis
            let resumed = report.resumed > 0 ? ", resumed \(report.resumed)×" : ""
            print("  took \(fixed(Double(milliseconds) / 1000, places: 2)) s\(resumed)")
        }
        for name in report.plan {
            guard let step = report.steps[name] else { continue }
            let skipped = step.skipped > 0 ? ", \(step.skipped) skipped (changed meanwhile)" : ""
            let took = step.seconds.map { " in \(fixed($0, places: 2)) s" } ?? ""
            print("  \(name.padding(10)) \(step.changed) \(report.dryRun ? "would change" : "changed")\(skipped)\(took)")
            for item in step.items { print("    \(item)") }
        }
        if let undo = report.undo { print("  undone: \(undo.changed) restored, \(undo.skipped) left alone") }
        if let error = report.error { printErr("failed: \(error)") }
    }

    static let revert = Command(
        name: "revert", summary: "Restore an earlier version of a memory (as a new version).",
        help: """
            Brings back version V's text, tags, attributes, importance, state and
            validity; `memctl history ID` shows the versions. A forgotten memory
            comes back; nothing is deleted.
            """,
        usage: "revert ID --to VERSION", valued: ["--to"], flags: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("revert takes one ID") }
        guard let to = args.value("--to") else { throw UsageError("revert needs --to VERSION (memctl history ID lists them)") }
        let r = try session.call(MemoryRevert.self, .init(namespace: session.namespace, id: args.positionals[0], toVersion: try integer(to, "--to")))
        if !session.json { print("\(r.id)  v\(r.version)") }
    }

    static let neighbors = Command(
        name: "neighbors", summary: "Show a memory's neighbourhood: session order, links, shared entities.",
        help: """
            Options:
              --limit N            how many neighbours (default 20)
            """,
        usage: "neighbors ID [--limit N]", valued: ["--limit"], flags: []
    ) { args, session in
        guard args.positionals.count == 1 else { throw UsageError("neighbors takes one ID") }
        let r = try session.call(GraphNeighbors.self, .init(
            namespace: session.namespace, id: args.positionals[0], limit: try args.value("--limit").map { try integer($0, "--limit") }))
        guard !session.json else { return }
        if !r.entities.isEmpty {
            print("entities  " + r.entities.map { "\($0.display) (\($0.kind), \($0.mentions))" }.joined(separator: ", "))
        }
        for n in r.neighbors {
            let via = n.via.map { " via " + $0.joined(separator: ", ") } ?? ""
            print("\(n.relation.padding(10))\(n.id)  \(Output.oneLine(n.text, width: 70))\(via)")
        }
    }

    static let reindex = Command(
        name: "reindex", summary: "Re-embed memories whose vectors come from another embedder.",
        help: """
            memosd does this by itself in the background when its --embedder changed;
            this starts it if it is not running and shows how far it got.
            Options:
              --wait               return only when every memory has a current vector
            """,
        usage: "reindex [--wait]", valued: [], flags: ["--wait"]
    ) { args, session in
        let r = try session.call(SystemReindex.self, .init(wait: args.has("--wait") ? true : nil))
        guard !session.json else { return }
        let state = r.running ? "running" : (r.pending == 0 ? "up to date" : "stopped")
        print("\(state): \(r.done) re-embedded, \(r.pending) pending, embedder \(r.embedder)")
        if let error = r.lastError { print("last error: \(error)") }
    }

    // MARK: helpers

    static func filter(_ args: Arguments) throws(UsageError) -> WireFilter? {
        var filter = WireFilter()
        var any = false
        if !args.all("--tag").isEmpty { filter.tags = args.all("--tag"); any = true }
        if let agent = args.value("--agent") { filter.agent = agent; any = true }
        if let session = args.value("--session") { filter.session = session; any = true }
        for (flag, keyPath) in [("--since", \WireFilter.since), ("--until", \WireFilter.until)] {
            guard let text = args.value(flag) else { continue }
            guard let t = Timestamp(iso8601: text) else { throw UsageError("\(flag) must be ISO 8601, e.g. 2024-05-08") }
            filter[keyPath: keyPath] = t
            any = true
        }
        return any ? filter : nil
    }

    static func attributes(_ pairs: [String]) throws(UsageError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("--attr takes KEY=VALUE (got '\(pair)')")
            }
            let key = String(pair[..<equals]), raw = String(pair[pair.index(after: equals)...])
            result[key] = (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw)
        }
        return result
    }

    static func number(_ text: String, _ flag: String) throws(UsageError) -> Double {
        guard let value = Double(text) else { throw UsageError("\(flag) must be a number (got '\(text)')") }
        return value
    }

    static func integer(_ text: String, _ flag: String) throws(UsageError) -> Int {
        guard let value = Int(text) else { throw UsageError("\(flag) must be an integer (got '\(text)')") }
        return value
    }

    static func printVersion(_ v: WireVersion, verbose: Bool) {
        var who = v.agent.map { " agent=\($0)" } ?? ""
        if let uid = v.peerUID { who += " uid=\(uid)" }
        if let pid = v.peerPID { who += " pid=\(pid)" }
        print("v\(v.version)  \(Output.time(v.at))  \(v.operation.padding(8)) \(v.state.padding(10))\(Output.oneLine(v.text, width: 70))\(Output.tags(v.tags))\(who)")
        if verbose, !v.attributes.isEmpty { print("    attributes \(Output.json(v.attributes))") }
    }

    static func format4(_ x: Double) -> String { fixed(x, places: 4) }

    /// `x` rounded to `places` decimals, padded with zeros (no String(format:) without Foundation).
    static func fixed(_ x: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        var text = String((x * scale).rounded() / scale)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < places { text += String(repeating: "0", count: places - decimals) }
        }
        return text
    }

    static func bytes(_ n: Int64) -> String {
        if n >= 1 << 30 { return "\(n >> 30) GiB" }
        if n >= 1 << 20 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 { return "\(n >> 10) KiB" }
        return "\(n) B"
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A request line for a raw connection (memctl subscribe keeps its own socket).
private struct RPCRequestLine<P: Encodable>: Encodable {
    let jsonrpc = "2.0"
    let id = 1
    let method: String
    let params: P
}
