import Foundation
import MemAPI
import MemJSON

// memctl status, promote, demote, pin, unpin, touch, tick, and a runner from a shell: subscribe, complete, fail.
extension Commands {
    static let status = Command(
        name: "status", summary: "Tier usage at a glance, the budgets and the latest moves.",
        about: "",
        usage: "status [--events N]",
        options: [
            Option("--events", "N", "how many recent moves to show (default 10)"),
        ]
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
            about: "",
            usage: "\(name) ID [--to TIER]",
            options: [
                Option("--to", "TIER", "straight to working, active or archive"),
            ]
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
            about: "",
            usage: "\(name) ID",
            options: []
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
        about: "",
        usage: "touch ID...",
        options: []
    ) { args, session in
        guard !args.positionals.isEmpty else { throw UsageError("touch takes one or more IDs") }
        let r = try session.call(SchedulerTouch.self, .init(namespace: session.namespace, ids: args.positionals))
        if !session.json { print("touched \(r.touched)") }
    }

    static let tick = Command(
        name: "tick", summary: "Run the scheduler now and show the moves it made.",
        about: "",
        usage: "tick",
        options: []
    ) { args, session in
        let r = try session.call(SchedulerTick.self, NoParams())
        guard !session.json else { return }
        if r.moves.isEmpty { print("no moves") }
        for move in r.moves { print("\(move.id)  \(move.from) → \(move.to)  \(move.reason)") }
    }

    static let subscribe = Command(
        name: "subscribe", summary: "Act as a model runner: print each job memosd sends, one JSON line per job.",
        about: """
            Stays connected and prints the params of every scheduler.job
            notification on stdout (see docs/runners.md), so a script can
            compute the snapshot, `memctl add --kind activation ...` it and
            report with `memctl complete JOB_ID ID` or `memctl fail JOB_ID REASON`.
            """,
        usage: "subscribe --model ID [--model ID]... [--name NAME] [--once]",
        options: [
            Option("--model", "ID", "a model this runner serves (repeat for more; required)"),
            Option("--name", "NAME", "how status shows this runner"),
            Option("--once", "exit after the first job"),
        ]
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
            about: "",
            usage: complete ? "complete JOB_ID MEMORY_ID" : "fail JOB_ID REASON",
            options: []
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
}

/// A request line for a raw connection (memctl subscribe keeps its own socket).
private struct RPCRequestLine<P: Encodable>: Encodable {
    let jsonrpc = "2.0"
    let id = 1
    let method: String
    let params: P
}
