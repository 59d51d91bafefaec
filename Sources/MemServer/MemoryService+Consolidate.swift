import Foundation
import MemAPI
import MemCube
import MemScheduler
import MemStore
import Retrieval
import Synchronization

/// memosd is stopping: the run stops between two small transactions, stays
/// `running` in the store and resumes at the next start.
struct ConsolidationInterrupted: Error {}

/// Consolidation runs in progress: one at a time per namespace, their live
/// reports (stored reports are in the database), and the stop signal.
final class ConsolidationRuns: Sendable {
    /// Every step, in the order a run takes them (docs/consolidation.md).
    static let steps = ["expire", "dedupe", "merge", "supersede", "summarize", "decay", "upkeep"]

    private let live = Mutex<[String: ConsolidateRun.Report]>([:])
    /// Namespaces (or "*" for several) with a run or an undo in progress.
    private let running = Mutex<Set<String>>([])
    private let workers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)

    func begin(_ report: ConsolidateRun.Report) throws(ValidationError) {
        let scope = report.namespace ?? "*"
        try running.withLock { running throws(ValidationError) in
            guard !running.contains(scope), !(scope == "*" && !running.isEmpty), !running.contains("*") else {
                throw ValidationError(
                    field: "namespace",
                    "a consolidation run is already in progress for \(scope == "*" ? "some namespace" : scope); consolidate.status shows it")
            }
            running.insert(scope)
        }
        update(report)
    }

    func update(_ report: ConsolidateRun.Report) {
        live.withLock { $0[report.runID] = report }
    }

    func end(_ report: ConsolidateRun.Report) {
        live.withLock { $0[report.runID] = nil }
        _ = running.withLock { $0.remove(report.namespace ?? "*") }
    }

    func live(_ id: String?) -> ConsolidateRun.Report? {
        live.withLock { reports in id.map { reports[$0] } ?? reports.values.max { $0.startedAt < $1.startedAt } }
    }

    func checkStop() throws {
        if stopping.load(ordering: .relaxed) { throw ConsolidationInterrupted() }
    }

    /// Runs `body` as one of the workers `stop` waits for.
    func working<R>(_ body: () -> R) -> R {
        workers.add(1, ordering: .relaxed)
        defer { workers.subtract(1, ordering: .relaxed) }
        return body()
    }

    /// Asks running runs to stop and waits up to `timeout` seconds for them.
    func stop(timeout: Double) {
        stopping.store(true, ordering: .relaxed)
        let deadline = Date().addingTimeInterval(timeout)
        while workers.load(ordering: .relaxed) > 0, Date() < deadline { usleep(20_000) }
    }
}

/// A run's report as it goes: the step running, its counts, progress.
final class RunProgress {
    var report: ConsolidateRun.Report
    let runs: ConsolidationRuns
    private var step = ""
    private var published = Date.distantPast
    private var stepStarted = Date()

    init(_ report: ConsolidateRun.Report, runs: ConsolidationRuns) {
        self.report = report
        self.runs = runs
    }

    var runID: String { report.runID }
    var dryRun: Bool { report.dryRun }

    func start(_ name: String) {
        step = name
        stepStarted = Date()
        report.current = name
        report.steps[name] = ConsolidateRun.StepReport()
        runs.update(report)
    }

    /// A dry run lists everything it would change; a run keeps the first 100 lines per step.
    func note(_ item: String, count: Int = 1) {
        let limit = dryRun ? 10_000 : 100  // read before `report` is modified below
        report.steps[step]?.note(item, count: count, limit: limit)
    }
    func skip(_ item: String) {
        report.steps[step]?.skipped += 1
        if (report.steps[step]?.items.count ?? 100) < 100 { report.steps[step]?.items.append(item) }
    }

    /// Progress: `done` of `total`; publishes at most 10 times a second and checks for a stop.
    func examined(_ done: Int, of total: Int?) throws {
        report.steps[step]?.examined = done
        if let total { report.steps[step]?.total = total }
        let now = Date()
        if now.timeIntervalSince(published) > 0.1 {
            published = now
            runs.update(report)
        }
        try runs.checkStop()
    }

    func finishStep() {
        report.steps[step]?.finished = true
        report.steps[step]?.seconds = (Date().timeIntervalSince(stepStarted) * 1000).rounded() / 1000
        runs.update(report)
    }
}

extension MemoryService {
    func consolidate(_ params: ConsolidateRun.Params, _ context: RequestContext) throws -> ConsolidateRun.Result {
        if let namespace = params.namespace {
            try limits.checkName(namespace, field: "namespace")
            if params.all == true { throw ValidationError(field: "all", "give either a namespace or all, not both") }
        }
        var asked = Set<String>()
        for (i, step) in (params.steps ?? []).enumerated() {
            guard ConsolidationRuns.steps.contains(step) else {
                throw ValidationError(field: "steps[\(i)]", "'\(step)' is not a step; use \(ConsolidationRuns.steps.joined(separator: ", "))")
            }
            asked.insert(step)
        }
        if params.steps?.isEmpty == true { throw ValidationError(field: "steps", "name at least one step (or leave steps out for all)") }
        let plan = params.steps == nil ? ConsolidationRuns.steps : ConsolidationRuns.steps.filter(asked.contains)
        let runID = "run-" + CubeID.generate(at: context.now.millis).rawValue.lowercased()
        let report = ConsolidateRun.Report(
            runID: runID, namespace: params.namespace, all: params.all ?? false, dryRun: params.dryRun ?? false,
            state: "running", startedAt: context.now, plan: plan)
        try consolidation.begin(report)
        do { try persist(report) } catch {
            consolidation.end(report)
            throw error
        }
        return launch(report, peer: context.peer, wait: params.wait ?? true)
    }

    /// Runs (or resumes) `report`'s remaining steps, now or on a thread of its own.
    private func launch(_ report: ConsolidateRun.Report, peer: PeerCredentials?, wait: Bool) -> ConsolidateRun.Result {
        let work: @Sendable () -> ConsolidateRun.Report = { [self] in
            consolidation.working { execute(report, peer: peer) }
        }
        if wait { return ConsolidateRun.Result(runID: report.runID, report: work()) }
        let thread = Thread { _ = work() }
        thread.name = "memosd-consolidate"
        thread.start()
        return ConsolidateRun.Result(runID: report.runID, report: nil)
    }

    private func execute(_ initial: ConsolidateRun.Report, peer: PeerCredentials?) -> ConsolidateRun.Report {
        let progress = RunProgress(initial, runs: consolidation)
        var work = ContentWork()
        do {
            // Accesses waiting in the log count: merge sums them, decay reads heat.
            try accessLog.flush(to: store, heat: scheduler.planner.heat)
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
            for step in progress.report.plan where progress.report.steps[step]?.finished != true {
                progress.start(step)
                switch step {
                case "expire": try expireStep(progress, peer: peer)
                case "dedupe": try dedupeStep(progress, work: &work)
                case "merge": try mergeStep(progress, work: &work, peer: peer)
                case "supersede": try supersedeStep(progress, work: &work, peer: peer)
                case "summarize": try summarizeStep(progress, work: &work, peer: peer)
                case "decay": try decayStep(progress)
                case "upkeep": try upkeepStep(progress)
                default: break
                }
                progress.finishStep()
                try persist(progress.report)
            }
            progress.report.current = nil
            if !progress.report.dryRun {
                try store.markConsolidated(namespaces: progress.report.namespaces, runID: progress.runID, at: progress.report.startedAt)
            }
            progress.report.state = "done"
        } catch is ConsolidationInterrupted {
            // Left `running` in the store: the next start resumes it from the step it was in.
            try? persist(progress.report)
            consolidation.end(progress.report)
            return progress.report
        } catch {
            progress.report.state = "failed"
            progress.report.error = "\(error)"
        }
        progress.report.finishedAt = clock.now()
        try? persist(progress.report)
        consolidation.end(progress.report)
        return progress.report
    }

    private func persist(_ report: ConsolidateRun.Report) throws {
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        try store.saveConsolidationRun(ConsolidationRunRecord(
            runID: report.runID, namespace: report.namespace, state: report.state, dryRun: report.dryRun,
            startedAt: report.startedAt, finishedAt: report.finishedAt, report: json))
    }

    private func storedReport(_ id: String?) throws -> ConsolidateRun.Report? {
        guard let record = try store.consolidationRun(id) else { return nil }
        return try JSONDecoder().decode(ConsolidateRun.Report.self, from: Data(record.report.utf8))
    }

    /// Resumes the runs memosd was in the middle of when it stopped (at start).
    /// A dry run changed nothing, so it is closed as interrupted instead.
    public func resumeConsolidationRuns(logger: Logger) {
        do {
            for record in try store.unfinishedConsolidationRuns() {
                var report = try JSONDecoder().decode(ConsolidateRun.Report.self, from: Data(record.report.utf8))
                if report.dryRun {
                    report.state = "failed"
                    report.error = "memosd stopped during this dry run; nothing was changed, run it again"
                    report.finishedAt = clock.now()
                    try persist(report)
                    continue
                }
                report.resumed += 1
                try consolidation.begin(report)
                try persist(report)
                logger.info("resuming a consolidation run memosd stopped in", [
                    ("run", report.runID), ("step", report.current ?? "-"), ("resumed", "\(report.resumed)"),
                ])
                _ = launch(report, peer: nil, wait: false)
            }
        } catch {
            logger.warning("could not resume consolidation runs", [("error", "\(error)")])
        }
    }

    /// Stops runs in progress between two transactions (at shutdown); they resume at the next start.
    public func stopConsolidation(timeout: Double = 30) {
        consolidation.stop(timeout: timeout)
    }

    func consolidationStatus(_ params: ConsolidateStatus.Params, _ context: RequestContext) throws -> ConsolidateStatus.Result {
        if let live = consolidation.live(params.runID) { return ConsolidateStatus.Result(report: live) }
        let report = try storedReport(params.runID)
        if params.runID != nil, report == nil { throw ValidationError(field: "run_id", "is not a consolidation run of this database") }
        return ConsolidateStatus.Result(report: report)
    }

    func consolidationReport(_ params: ConsolidateReport.Params, _ context: RequestContext) throws -> ConsolidateReport.Result {
        if let live = consolidation.live(params.runID) { return ConsolidateReport.Result(report: live) }
        guard let report = try storedReport(params.runID) else {
            throw ValidationError(field: "run_id", "is not a consolidation run of this database")
        }
        return ConsolidateReport.Result(report: report)
    }

    // MARK: - expire, decay, upkeep

    /// expire: memories whose TTL passed become forgotten versions (operation
    /// consolidate:expire, the run id in their source), 500 per transaction.
    private func expireStep(_ progress: RunProgress, peer: PeerCredentials?) throws {
        var after: Int64 = 0
        var examined = 0
        while true {
            let now = clock.now()
            let batch = try store.expiredCubes(namespace: progress.report.namespace, now: now, afterKey: after, limit: 500)
            guard let last = batch.last else { break }
            after = last.key
            for (namespace, group) in Dictionary(grouping: batch, by: \.namespace) {
                let ids = group.map(\.id)
                if !progress.dryRun {
                    let provenance = runProvenance(.consolidateExpire, progress, peer: peer)
                    _ = try store.forget(namespace: namespace, ids: ids, purge: false, provenance: provenance, at: now) { keys in
                        index.remove(namespace: namespace, keys: keys)
                        keywords.remove(namespace: namespace, keys: keys)
                    }
                }
                for id in ids { progress.note("\(namespace)/\(id.rawValue): TTL passed") }
            }
            examined += batch.count
            try progress.examined(examined, of: nil)
        }
    }

    /// decay: cold, idle memories move to the archive by the scheduler's
    /// rule (docs/scheduler.md); nothing is deleted, each move is logged with
    /// the run id, and a use brings a memory back.
    private func decayStep(_ progress: RunProgress) throws {
        let now = clock.now()
        let namespace = progress.report.namespace
        let records = try store.tierRecords().filter { namespace == nil || $0.namespace == namespace }
        var moves = scheduler.planner.plan(records, now: now).filter { $0.to == .archive }
        for i in moves.indices { moves[i].reason = "consolidate:decay (\(progress.runID)): \(moves[i].reason)" }
        if !progress.dryRun {
            let applied = Set(try store.applyTierChanges(
                moves.map { TierChange(key: $0.key, from: $0.from, to: $0.to, reason: $0.reason) }, at: now) { _ in }.map(\.key))
            moves = moves.filter { applied.contains($0.key) }
            try writes.applyTierMoves(moves.map { ($0.key, $0.namespace, $0.from, $0.to) })
        }
        for move in moves { progress.note("\(move.namespace)/\(move.id.rawValue): \(move.reason)") }
        try progress.examined(records.count, of: records.count)
    }

    /// upkeep: entity aliases, payload files no memory names, HNSW graphs
    /// with many tombstones rebuilt, planner statistics, free pages returned,
    /// an integrity check.
    private func upkeepStep(_ progress: RunProgress) throws {
        for namespace in progress.report.namespaces {
            let names = try store.nameEntities(namespace: namespace).map { (id: $0.id, key: $0.entity.key, display: $0.entity.display) }
            let pairs = EntityAliases.pairs(names)
            guard !pairs.isEmpty else { continue }
            let shared = progress.dryRun ? 0 : try store.shareMentions(pairs.map { ($0.a, $0.b) })
            if progress.dryRun || shared > 0 {
                for pair in pairs.prefix(20) { progress.note("\(namespace): entity alias \(pair.reason)", count: 0) }
                progress.note("\(namespace): \(pairs.count) entity aliases, \(shared) mentions shared", count: pairs.count)
            }
        }
        if progress.dryRun {
            progress.note("dry run: no files removed, no index rebuilt, no vacuum", count: 0)
        } else {
            let removed = try store.collectBlobs(graceSeconds: 60)
            progress.note("payload files removed: \(removed.count)", count: removed.count)
            if let tiered = index as? TieredIndex {
                for (namespace, tombstones) in tiered.compact(threshold: 0.2).sorted(by: { $0.key < $1.key }) {
                    progress.note("\(namespace): HNSW graph rebuilt without \(tombstones) deleted nodes")
                }
            }
            try store.optimize()
            progress.note("PRAGMA optimize done", count: 0)
            let vacuum = try store.incrementalVacuum(pages: 10_000)
            if vacuum.converted { progress.note("database switched to incremental vacuum (one full VACUUM)", count: 0) }
            progress.note("free pages returned: \(vacuum.freed)", count: 0)
        }
        let check = try store.integrityCheck()
        progress.note("integrity: " + check.prefix(10).joined(separator: "; "), count: 0)
        guard check == ["ok"] else {
            throw RPCError(.internalError, "the database failed its integrity check: \(check.prefix(3).joined(separator: "; "))")
        }
    }

    // MARK: - undo

    /// Reverts what run `run_id` changed: each memory it wrote a version of
    /// goes back to the version before (unless a client changed it since),
    /// summaries it created are forgotten, its links removed, its archive
    /// moves reversed. Each restoration is a new version (consolidate:undo).
    func undoConsolidation(_ params: ConsolidateUndo.Params, _ context: RequestContext) throws -> ConsolidateUndo.Result {
        guard var report = try storedReport(params.runID) else {
            throw ValidationError(field: "run_id", "is not a consolidation run of this database")
        }
        switch report.state {
        case "running": throw ValidationError(field: "run_id", "is still running; wait for it to finish (consolidate.status)")
        case "undone": throw ValidationError(field: "run_id", "was already undone")
        default: if report.dryRun { throw ValidationError(field: "run_id", "was a dry run: it changed nothing") }
        }
        try consolidation.begin(report)
        defer { consolidation.end(report) }
        var undo = ConsolidateRun.StepReport()
        let provenance = Provenance(
            peerUID: context.peer?.uid, peerPID: context.peer?.pid, operation: .consolidateUndo,
            source: .object(["undo_of": .string(report.runID)]))
        let written = Dictionary(grouping: try store.versionsWritten(runID: report.runID, since: report.startedAt), by: \.key)
        for key in written.keys.sorted() {
            let versions = written[key]!
            let first = versions.map(\.version).min()!, last = versions.map(\.version).max()!
            let cube = versions[0]
            let name = "\(cube.namespace)/\(cube.id.rawValue)"
            guard cube.currentVersion == last else {
                undo.skipped += 1
                if undo.items.count < 100 {
                    undo.items.append("\(name): changed after the run (now v\(cube.currentVersion)); memctl revert \(cube.id.rawValue) --to \(first - 1)")
                }
                continue
            }
            let history = try store.history(namespace: cube.namespace, id: cube.id)
            guard let current = history.last else { continue }
            var revision: CubeRevision
            if first == 1 {
                // Made by the run (a summary): it goes, as a forgotten version.
                revision = CubeRevision(id: cube.id, expectedVersion: last, restoring: current, provenance: provenance)
                revision.state = .forgotten
            } else {
                guard let target = history.first(where: { $0.version == first - 1 }),
                      let runVersion = history.first(where: { $0.version == first }) else { continue }
                revision = CubeRevision(id: cube.id, expectedVersion: last, restoring: target, provenance: provenance)
                if case .int(let added)? = runVersion.provenance.source?["access_added"],
                   let now = try? store.get(namespace: cube.namespace, id: cube.id, now: clock.now())
                {
                    revision.accessCount = max(0, now.cube.access.count - Int(added))  // uses since the run stay
                }
                if target.attributes["summary_of"] != nil { revision.derivedFrom = target.provenance.derivedFrom }
                if target.state == .active, current.state != .active || target.text != current.text, let text = target.text, !text.isEmpty {
                    if current.text != target.text { revision.entities = EntityExtractor.extract(text) }
                    revision.embedding = Embedding(embedder: embedder.id, vector: try embedder.embed(text))
                }
            }
            do {
                let vectors = revision.embedding.map { [cube.id: $0.vector] } ?? [:]
                _ = try store.revise(namespace: cube.namespace, [revision], linking: [], runID: nil, at: clock.now()) { writes.applyRevisions($0, vectors: vectors) }
                undo.note("\(name): back to v\(first == 1 ? 0 : first - 1)\(first == 1 ? " (made by the run: forgotten)" : "")")
            } catch StoreError.versionConflict {
                undo.skipped += 1
            }
        }
        let removed = try store.removeEdges(runID: report.runID)
        if removed > 0 { undo.note("links removed: \(removed)", count: removed) }
        let now = clock.now()
        let moves = try store.tierEvents(runID: report.runID).filter { $0.event.reason.hasPrefix("consolidate:") }
        let applied = try store.applyTierChanges(moves.map {
            TierChange(key: $0.key, from: $0.event.to, to: $0.event.from, reason: "consolidate:undo of \(report.runID)")
        }, at: now) { _ in }
        let namespaceOf = Dictionary(moves.map { ($0.key, $0.event.namespace) }, uniquingKeysWith: { a, _ in a })
        try writes.applyTierMoves(applied.map { ($0.key, namespaceOf[$0.key] ?? "", $0.from, $0.to) })
        for move in applied { undo.note("\(namespaceOf[move.key] ?? "")#\(move.key): \(move.from.rawValue) → \(move.to.rawValue)") }
        undo.finished = true
        report.undo = undo
        report.state = "undone"
        try persist(report)
        return ConsolidateUndo.Result(runID: report.runID, undo: undo)
    }
}
