import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

/// Who asked for a run: stamped into the provenance of every change it makes.
public struct Requester: Sendable, Hashable {
    public var uid: UInt32?
    public var pid: Int32?

    public init(uid: UInt32?, pid: Int32?) {
        self.uid = uid
        self.pid = pid
    }
}

/// The consolidation job: runs, resumes, stops and undoes runs over the
/// store and its indexes. A run is a sequence of `ConsolidationStep`s (one
/// file each in Steps/), its report saved after every step so that a run
/// stopped by a shutdown or a crash resumes at the next start.
///
/// Concurrency: a run executes on the caller's thread (`wait`) or on a
/// thread of its own ("memosd-consolidate"); one run at a time per
/// namespace (`ConsolidationRuns`). Each step writes in small transactions
/// through the store, so requests go on meanwhile.
public final class Consolidator: Sendable {
    let writes: IndexedStore
    let accessLog: AccessLog
    let planner: TierPlanner
    let settings: ConsolidationSettings
    let clock: WallClock
    /// Told when a run links two memories `conflicts_with` (recall starts looking such links up).
    let conflictLinked: @Sendable () -> Void
    let runs = ConsolidationRuns()

    var store: any CubeStore { writes.store }
    var index: any VectorIndex { writes.index }
    var keywords: KeywordIndex { writes.keywords }
    var embedder: any Embedder { writes.embedder }

    public init(
        writes: IndexedStore, accessLog: AccessLog, planner: TierPlanner, settings: ConsolidationSettings, clock: WallClock,
        conflictLinked: @escaping @Sendable () -> Void = {}
    ) {
        self.writes = writes
        self.accessLog = accessLog
        self.planner = planner
        self.settings = settings
        self.clock = clock
        self.conflictLinked = conflictLinked
    }

    /// Starts a run of `plan` over `namespace` (nil: the namespaces changed
    /// since their last run, or every one with `all`). With `wait` it returns
    /// the finished report; otherwise the run goes on in the background.
    public func start(
        namespace: String?, all: Bool, dryRun: Bool, plan: [ConsolidationStep], requester: Requester?, wait: Bool
    ) throws -> (runID: String, report: ConsolidationReport?) {
        let now = clock.now()
        let runID = "run-" + CubeID.generate(at: now.millis).rawValue.lowercased()
        let report = ConsolidationReport(runID: runID, namespace: namespace, all: all, dryRun: dryRun, startedAt: now, plan: plan)
        try runs.begin(report)
        do { try persist(report) } catch {
            runs.end(report)
            throw error
        }
        return (runID, launch(report, requester: requester, wait: wait))
    }

    /// Runs (or resumes) `report`'s remaining steps, now or on a thread of its own.
    private func launch(_ report: ConsolidationReport, requester: Requester?, wait: Bool) -> ConsolidationReport? {
        let work: @Sendable () -> ConsolidationReport = { [self] in
            runs.working { execute(report, requester: requester) }
        }
        if wait { return work() }
        let thread = Thread { _ = work() }
        thread.name = "memosd-consolidate"
        thread.start()
        return nil
    }

    private func execute(_ initial: ConsolidationReport, requester: Requester?) -> ConsolidationReport {
        let progress = RunProgress(initial, runs: runs)
        var work = ContentWork()
        do {
            // Accesses waiting in the log count: merge sums them, decay reads heat.
            try accessLog.flush(to: store, heat: planner.heat)
            if progress.report.namespaces.isEmpty, progress.report.unchanged.isEmpty {
                let listed = try store.namespacesChangedSinceConsolidation()
                if let namespace = progress.report.namespace {
                    progress.report.namespaces = [namespace]
                } else if progress.report.all {
                    progress.report.namespaces = listed.map(\.namespace)
                } else {
                    progress.report.namespaces = listed.filter(\.changed).map(\.namespace)
                    progress.report.unchanged = listed.filter { !$0.changed }.map(\.namespace)
                }
            }
            for name in progress.report.plan where progress.report.steps[name]?.finished != true {
                guard let step = ConsolidationStep(rawValue: name) else { continue }
                progress.start(step)
                switch step {
                case .expire: try expireStep(progress, requester: requester)
                case .dedupe: try dedupeStep(progress, work: &work)
                case .merge: try mergeStep(progress, work: &work, requester: requester)
                case .supersede: try supersedeStep(progress, work: &work, requester: requester)
                case .summarize: try summarizeStep(progress, work: &work, requester: requester)
                case .decay: try decayStep(progress)
                case .upkeep: try upkeepStep(progress)
                }
                progress.finishStep()
                try persist(progress.report)
            }
            progress.report.current = nil
            if !progress.report.dryRun {
                try store.markConsolidated(namespaces: progress.report.namespaces, runID: progress.runID, at: progress.report.startedAt)
            }
            progress.report.state = .done
        } catch is ConsolidationInterrupted {
            // Left `running` in the store: the next start resumes it from the step it was in.
            try? persist(progress.report)
            runs.end(progress.report)
            return progress.report
        } catch {
            progress.report.state = .failed
            progress.report.error = "\(error)"
        }
        progress.report.finishedAt = clock.now()
        try? persist(progress.report)
        runs.end(progress.report)
        return progress.report
    }

    func persist(_ report: ConsolidationReport) throws {
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        try store.saveConsolidationRun(ConsolidationRunRecord(
            runID: report.runID, namespace: report.namespace, state: report.state.rawValue, dryRun: report.dryRun,
            startedAt: report.startedAt, finishedAt: report.finishedAt, report: json))
    }

    /// A run's stored report (the latest run's when `id` is nil).
    func storedReport(_ id: String?) throws -> ConsolidationReport? {
        guard let record = try store.consolidationRun(id) else { return nil }
        return try JSONDecoder().decode(ConsolidationReport.self, from: Data(record.report.utf8))
    }

    /// A run's report: live while it runs, else as stored (nil when there is no such run).
    public func report(_ id: String?) throws -> ConsolidationReport? {
        if let live = runs.live(id) { return live }
        return try storedReport(id)
    }

    /// Resumes the runs memosd was in the middle of when it stopped (at start).
    /// A dry run changed nothing, so it is closed as interrupted instead.
    /// `log` hears each resumed run (message, metadata).
    public func resumeRuns(log: (String, [(String, String)]) -> Void) throws {
        for record in try store.unfinishedConsolidationRuns() {
            var report = try JSONDecoder().decode(ConsolidationReport.self, from: Data(record.report.utf8))
            if report.dryRun {
                report.state = .failed
                report.error = "memosd stopped during this dry run; nothing was changed, run it again"
                report.finishedAt = clock.now()
                try persist(report)
                continue
            }
            report.resumed += 1
            try runs.begin(report)
            try persist(report)
            log("resuming a consolidation run memosd stopped in", [
                ("run", report.runID), ("step", report.current ?? "-"), ("resumed", "\(report.resumed)"),
            ])
            _ = launch(report, requester: nil, wait: false)
        }
    }

    /// Stops runs in progress between two transactions (at shutdown); they resume at the next start.
    public func stop(timeout: Double = 30) {
        runs.stop(timeout: timeout)
    }

    /// Provenance of a change a run makes: the run id in `source`, with `extra`.
    func runProvenance(
        _ operation: CubeOperation, _ progress: RunProgress, requester: Requester?, _ extra: [String: JSONValue] = [:],
        derivedFrom: [CubeID] = []
    ) -> Provenance {
        var source = extra
        source[consolidationRunKey] = .string(progress.runID)
        return Provenance(peerUID: requester?.uid, peerPID: requester?.pid, operation: operation, source: .object(source), derivedFrom: derivedFrom)
    }

    /// A memory's text for a report line: quoted, one line, at most 60 characters.
    static func quote(_ text: String?) -> String {
        let line = (text ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\"" + (line.count > 60 ? line.prefix(59) + "…" : line) + "\""
    }
}
