import Foundation
import MemAPI
import MemCube
import MemScheduler
import MemStore
import Retrieval
import Synchronization

/// The consolidation job (issue 6, first steps): runs, reports, `expire`.
final class ConsolidationRuns: Sendable {
    /// Steps memosd can run today, in their order.
    static let available = ["expire", "decay", "upkeep"]
    /// Steps the design has that are not built yet (docs/consolidation.md).
    static let planned = ["dedupe", "merge", "supersede", "summarize"]

    private let reports = Mutex<[String: ConsolidateRun.Report]>([:])
    private let latest = Mutex<String?>(nil)
    /// Namespaces (or "*" for all) with a run in progress: one at a time each.
    private let running = Mutex<Set<String>>([])

    func begin(_ report: ConsolidateRun.Report) throws(ValidationError) {
        let scope = report.namespace ?? "*"
        try running.withLock { running throws(ValidationError) in
            guard !running.contains(scope), !(scope == "*" && !running.isEmpty), !running.contains("*") else {
                throw ValidationError(field: "namespace", "a consolidation run is already in progress for \(scope == "*" ? "some namespace" : scope)")
            }
            running.insert(scope)
        }
        save(report)
    }

    func save(_ report: ConsolidateRun.Report) {
        reports.withLock { $0[report.runID] = report }
        latest.withLock { $0 = report.runID }
    }

    func end(_ report: ConsolidateRun.Report) {
        save(report)
        _ = running.withLock { $0.remove(report.namespace ?? "*") }
    }

    func report(_ id: String?) -> ConsolidateRun.Report? {
        guard let id = id ?? latest.withLock({ $0 }) else { return nil }
        return reports.withLock { $0[id] }
    }
}

extension MemoryService {
    func consolidate(_ params: ConsolidateRun.Params, _ context: RequestContext) throws -> ConsolidateRun.Result {
        if let namespace = params.namespace { try limits.checkName(namespace, field: "namespace") }
        let steps = params.steps ?? ConsolidationRuns.available
        for (i, step) in steps.enumerated() where !ConsolidationRuns.available.contains(step) {
            if ConsolidationRuns.planned.contains(step) {
                throw ValidationError(field: "steps[\(i)]", "'\(step)' is not available yet; this memosd runs: \(ConsolidationRuns.available.joined(separator: ", "))")
            }
            throw ValidationError(field: "steps[\(i)]", "'\(step)' is not a step; use \((ConsolidationRuns.available + ConsolidationRuns.planned).joined(separator: ", "))")
        }
        let runID = "run-" + CubeID.generate(at: context.now.millis).rawValue.lowercased()
        let initial = ConsolidateRun.Report(
            runID: runID, namespace: params.namespace, dryRun: params.dryRun ?? false, state: "running", startedAt: context.now)
        try consolidation.begin(initial)
        let work: @Sendable () -> ConsolidateRun.Report = { [self] in
            var report = initial
            do {
                for step in steps {
                    switch step {
                    case "expire": report.steps[step] = try expireStep(report, peer: context.peer)
                    case "decay": report.steps[step] = try decayStep(report)
                    case "upkeep": report.steps[step] = try upkeepStep(report)
                    default: break
                    }
                    consolidation.save(report)
                }
                report.state = "done"
            } catch {
                report.state = "failed"
                report.error = "\(error)"
            }
            report.finishedAt = .now()
            consolidation.end(report)
            return report
        }
        if params.wait ?? true { return ConsolidateRun.Result(runID: runID, report: work()) }
        let thread = Thread { _ = work() }
        thread.name = "memosd-consolidate"
        thread.start()
        return ConsolidateRun.Result(runID: runID, report: nil)
    }

    func consolidationStatus(_ params: ConsolidateStatus.Params, _ context: RequestContext) throws -> ConsolidateStatus.Result {
        let report = consolidation.report(params.runID)
        if params.runID != nil, report == nil { throw ValidationError(field: "run_id", "is not a run of this memosd since it started") }
        return ConsolidateStatus.Result(report: report)
    }

    /// decay: cold, idle memories move to the archive by the scheduler's
    /// rule (docs/scheduler.md); nothing is deleted, each move is logged with
    /// the run id, and a use brings a memory back.
    private func decayStep(_ report: ConsolidateRun.Report) throws -> ConsolidateRun.StepReport {
        let now = Timestamp.now()
        let records = try store.tierRecords().filter { report.namespace == nil || $0.namespace == report.namespace }
        var moves = scheduler.planner.plan(records, now: now).filter { $0.to == .archive }
        for i in moves.indices { moves[i].reason = "consolidate:decay (\(report.runID)): \(moves[i].reason)" }
        if !report.dryRun {
            let applied = Set(try store.applyTierChanges(
                moves.map { TierChange(key: $0.key, from: $0.from, to: $0.to, reason: $0.reason) }, at: now) { _ in }.map(\.key))
            moves = moves.filter { applied.contains($0.key) }
            try applyIndexEffects(moves.map { ($0.key, $0.namespace, $0.from, $0.to) })
        }
        return ConsolidateRun.StepReport(
            changed: moves.count, items: moves.prefix(100).map { "\($0.namespace)/\($0.id.rawValue): \($0.reason)" })
    }

    /// upkeep: payload files no memory names, HNSW graphs with many
    /// tombstones rebuilt, the query planner's statistics, an integrity check.
    private func upkeepStep(_ report: ConsolidateRun.Report) throws -> ConsolidateRun.StepReport {
        var items: [String] = []
        var changed = 0
        if report.dryRun {
            items.append("dry run: no files removed, no index rebuilt")
        } else {
            let removed = try store.collectBlobs(graceSeconds: 60)
            changed += removed.count
            items.append("payload files removed: \(removed.count)")
            if let tiered = index as? TieredIndex {
                for (namespace, tombstones) in tiered.compact(threshold: 0.2).sorted(by: { $0.key < $1.key }) {
                    changed += 1
                    items.append("\(namespace): HNSW graph rebuilt without \(tombstones) deleted nodes")
                }
            }
            try store.optimize()
            items.append("PRAGMA optimize done")
        }
        let check = try store.quickCheck()
        items.append("integrity: " + check.prefix(10).joined(separator: "; "))
        guard check == ["ok"] else { throw RPCError(.internalError, "the database failed its integrity check: \(check.prefix(3).joined(separator: "; "))") }
        return ConsolidateRun.StepReport(changed: changed, items: items)
    }

    /// expire: memories whose TTL passed become forgotten versions (operation
    /// consolidate:expire, the run id in their source), 500 per transaction.
    private func expireStep(_ report: ConsolidateRun.Report, peer: PeerCredentials?) throws -> ConsolidateRun.StepReport {
        var changed = 0
        var items: [String] = []
        var after: Int64 = 0
        while true {
            let now = Timestamp.now()
            let batch = try store.expiredCubes(namespace: report.namespace, now: now, afterKey: after, limit: 500)
            guard let last = batch.last else { break }
            after = last.key
            for (namespace, group) in Dictionary(grouping: batch, by: \.namespace) {
                let ids = group.map(\.id)
                if !report.dryRun {
                    let provenance = Provenance(
                        peerUID: peer?.uid, peerPID: peer?.pid, operation: .consolidateExpire, source: ["consolidation_run": .string(report.runID)])
                    _ = try store.forget(namespace: namespace, ids: ids, purge: false, provenance: provenance, at: now) { keys in
                        index.remove(namespace: namespace, keys: keys)
                        keywords.remove(namespace: namespace, keys: keys)
                    }
                }
                changed += ids.count
                for id in ids where items.count < 100 { items.append("\(namespace)/\(id.rawValue): TTL passed") }
            }
        }
        return ConsolidateRun.StepReport(changed: changed, items: items)
    }
}
