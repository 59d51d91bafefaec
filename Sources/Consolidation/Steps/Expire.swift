import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// expire: memories whose TTL passed become forgotten versions (operation
    /// consolidate:expire, the run id in their source), 500 per transaction.
    func expireStep(_ progress: RunProgress, requester: Requester?) throws {
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
                    let provenance = runProvenance(.consolidateExpire, progress, requester: requester)
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
}
