import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// Reverts what run `runID` changed: each memory it wrote a version of
    /// goes back to the version before (unless a client changed it since),
    /// summaries it created are forgotten, its links removed, its archive
    /// moves reversed. Each restoration is a new version (consolidate:undo).
    public func undo(runID: String, requester: Requester?) throws -> StepReport {
        guard var report = try storedReport(runID) else {
            throw ValidationError(field: "run_id", "is not a consolidation run of this database")
        }
        switch report.state {
        case .running: throw ValidationError(field: "run_id", "is still running; wait for it to finish (consolidate.status)")
        case .undone: throw ValidationError(field: "run_id", "was already undone")
        case .done, .failed: if report.dryRun { throw ValidationError(field: "run_id", "was a dry run: it changed nothing") }
        }
        try runs.begin(report)
        defer { runs.end(report) }
        var undo = StepReport()
        let provenance = Provenance(
            peerUID: requester?.uid, peerPID: requester?.pid, operation: .consolidateUndo,
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
        report.state = .undone
        try persist(report)
        return undo
    }
}
