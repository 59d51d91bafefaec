import Foundation
import MemAPI

// memctl consolidate (run, report, undo).
extension Commands {
    static let consolidate = Command(
        name: "consolidate", summary: "Run the consolidation job now (dedupe, merge, summarize...), show its report.",
        about: """
            Runs on the namespace given with -n (default: MEMOS_NAMESPACE or
            "default"); with --changed on every namespace changed since its last
            run (what the nightly run does); with --all on every namespace.
            Steps, in order: expire, dedupe, merge, supersede, summarize, decay,
            upkeep (docs/consolidation.md). Every change is a new version with
            operation consolidate:<step> and the run id, so --undo takes a
            whole run back and `memctl revert ID --to V` one memory.
            Progress shows on standard error while the run goes on.
            """,
        usage: "consolidate [--changed|--all] [--dry-run] [--steps a,b] | consolidate --report RUN | consolidate --undo RUN",
        options: [
            Option("--changed", "every namespace changed since its last run"),
            Option("--all", "every namespace"),
            Option("--dry-run", "list what would change, change nothing"),
            Option("--steps", "LIST", "e.g. dedupe,merge (default: every step)"),
            Option("--report", "RUN", "show an earlier run's stored report"),
            Option("--undo", "RUN", "revert everything run RUN changed"),
        ]
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
}
