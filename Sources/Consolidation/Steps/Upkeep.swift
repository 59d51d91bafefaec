import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// upkeep: entity aliases, payload files no memory names, HNSW graphs
    /// with many tombstones rebuilt, planner statistics, free pages returned,
    /// an integrity check.
    func upkeepStep(_ progress: RunProgress) throws {
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
            for (namespace, tombstones) in index.compact(threshold: 0.2).sorted(by: { $0.key < $1.key }) {
                progress.note("\(namespace): HNSW graph rebuilt without \(tombstones) deleted nodes")
            }
            try store.refreshQueryStatistics()
            progress.note("PRAGMA optimize done", count: 0)
            let vacuum = try store.releaseFreeSpace(pages: 10_000)
            if vacuum.rewrote { progress.note("database switched to incremental vacuum (one full VACUUM)", count: 0) }
            progress.note("free pages returned: \(vacuum.freed)", count: 0)
        }
        let check = try store.checkIntegrity()
        progress.note("integrity: " + check.prefix(10).joined(separator: "; "), count: 0)
        guard check == ["ok"] else {
            throw ConsolidationFailure(description: "the database failed its integrity check: \(check.prefix(3).joined(separator: "; "))")
        }
    }
}
