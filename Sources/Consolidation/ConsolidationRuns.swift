import Foundation
import MemCube
import Synchronization

/// memosd is stopping: the run stops between two small transactions, stays
/// `running` in the store and resumes at the next start.
struct ConsolidationInterrupted: Error {}

/// Consolidation runs in progress: one at a time per namespace, their live
/// reports (stored reports are in the database), and the stop signal.
///
/// Thread-safe: the runs' threads publish their reports here, request
/// threads read them; `stopping` is set once, at shutdown.
final class ConsolidationRuns: Sendable {
    private let live = Mutex<[String: ConsolidationReport]>([:])
    /// Namespaces (or "*" for several) with a run or an undo in progress.
    private let running = Mutex<Set<String>>([])
    private let workers = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)

    func begin(_ report: ConsolidationReport) throws(ValidationError) {
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

    func update(_ report: ConsolidationReport) {
        live.withLock { $0[report.runID] = report }
    }

    func end(_ report: ConsolidationReport) {
        live.withLock { $0[report.runID] = nil }
        _ = running.withLock { $0.remove(report.namespace ?? "*") }
    }

    func live(_ id: String?) -> ConsolidationReport? {
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
