import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// decay: cold, idle memories move to the archive by the scheduler's
    /// rule (docs/scheduler.md); nothing is deleted, each move is logged with
    /// the run id, and a use brings a memory back.
    func decayStep(_ progress: RunProgress) throws {
        let now = clock.now()
        let namespace = progress.report.namespace
        let records = try store.tierRecords().filter { namespace == nil || $0.namespace == namespace }
        var moves = planner.plan(records, now: now).filter { $0.to == .archive }
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
}
