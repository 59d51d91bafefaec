import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// dedupe: finds groups of duplicates (same normalized text, or near by
    /// vector and making the same claim); merge acts on them.
    func dedupeStep(_ progress: RunProgress, work: inout ContentWork) throws {
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            let groups = settings.finder.groups(view.items) { view.neighbours[$0] ?? [] }
            work.groups[namespace] = groups
            for group in groups {
                progress.note(describe(group, namespace: namespace, view: view), count: group.others.count)
            }
        }
    }
}
