import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// supersede: structured facts (same attributes.key, or subject and
    /// predicate) close the validity of the statements they replace; free
    /// text that likely contradicts a similar memory is linked `conflicts_with`.
    func supersedeStep(_ progress: RunProgress, work: inout ContentWork, requester: Requester?) throws {
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            let closings = FactSupersession.closings(view.items) { view.stored[$0]?.cube.validTo }
            for closing in closings {
                try progress.runs.checkStop()
                guard let older = view.stored[closing.older], let newer = view.stored[closing.newer] else { continue }
                let description = "\(namespace)/\(older.cube.id.rawValue) valid until \(closing.validTo.iso8601): "
                    + "\(closing.fact) restated by \(newer.cube.id.rawValue)"
                guard !progress.dryRun else {
                    progress.note(description)
                    continue
                }
                var revision = CubeRevision(of: older.cube, provenance: runProvenance(
                    .consolidateSupersede, progress, requester: requester, ["superseded_by": .string(newer.cube.id.rawValue)]))
                revision.validTo = closing.validTo
                do {
                    _ = try store.revise(
                        namespace: namespace, [revision], linking: [RunEdge(from: older.key, to: newer.key, type: "superseded_by")],
                        runID: progress.runID, at: clock.now()
                    ) { writes.applyRevisions($0, vectors: [:]) }
                    progress.note(description)
                } catch StoreError.versionConflict, StoreError.notFound, StoreError.expired, StoreError.invalidState {
                    progress.skip("\(description): changed meanwhile; the next run retries")
                }
            }
            let conflicts = settings.finder.conflicts(view.items) { view.neighbours[$0] ?? [] }
            let linked = try store.linked(keys: conflicts.map(\.a), type: "conflicts_with")
            for conflict in conflicts {
                guard let a = view.stored[conflict.a], let b = view.stored[conflict.b],
                      !(linked[conflict.a] ?? []).contains(b.cube.id) else { continue }
                let description = "\(namespace)/\(a.cube.id.rawValue) \(Self.quote(a.cube.text)) conflicts with "
                    + "\(b.cube.id.rawValue) \(Self.quote(b.cube.text)) (\(conflict.reason))"
                if !progress.dryRun {
                    conflictLinked()
                    try store.addEdges(
                        [RunEdge(from: a.key, to: b.key, type: "conflicts_with", weight: Double(conflict.similarity))],
                        runID: progress.runID, at: clock.now())
                }
                progress.note(description)
            }
            work.wrote(namespace, dryRun: progress.dryRun)
        }
    }
}
