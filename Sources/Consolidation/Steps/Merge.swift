import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// merge: each duplicate group's oldest memory survives as a new version
    /// (the fullest text, every tag, attributes, the highest importance, the
    /// summed access count); the others become superseded, linked to it.
    func mergeStep(_ progress: RunProgress, work: inout ContentWork, requester: Requester?) throws {
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            let groups = work.groups[namespace] ?? settings.finder.groups(view.items) { view.neighbours[$0] ?? [] }
            for (i, group) in groups.enumerated() {
                try progress.examined(i + 1, of: groups.count)
                guard let survivor = view.stored[group.survivor], let bearer = view.stored[group.textFrom] else { continue }
                let others = group.others.compactMap { view.stored[$0] }
                let description = describe(group, namespace: namespace, view: view)
                guard !progress.dryRun else {
                    progress.note(description, count: others.count)
                    continue
                }
                let ids = others.map(\.cube.id)
                var keep = CubeRevision(of: survivor.cube, provenance: runProvenance(
                    .consolidateMerge, progress, requester: requester,
                    ["merged": .array(ids.map { .string($0.rawValue) }), "access_added": .int(Int64(others.reduce(0) { $0 + $1.cube.access.count }))],
                    derivedFrom: ids))
                var vectors: [CubeID: [Float]] = [:]
                if let text = bearer.cube.text, text != survivor.cube.text {
                    keep.text = text
                    keep.entities = EntityExtractor.extract(text)
                    if let vector = index.vectors(namespace: namespace, keys: [bearer.key])[bearer.key] {
                        keep.embedding = Embedding(embedder: embedder.id, vector: vector)
                        vectors[survivor.cube.id] = vector
                    } else {
                        let vector = try embedder.embed(text)
                        keep.embedding = Embedding(embedder: embedder.id, vector: vector)
                        vectors[survivor.cube.id] = vector
                    }
                }
                var tags = survivor.cube.tags
                for other in others { for tag in other.cube.tags where !tags.contains(tag) { tags.append(tag) } }
                keep.tags = tags
                for other in others { keep.attributes.merge(other.cube.attributes) { mine, _ in mine } }
                keep.importance = ([survivor] + others).map(\.cube.importance).max() ?? survivor.cube.importance
                keep.accessCount = ([survivor] + others).reduce(0) { $0 + $1.cube.access.count }
                var revisions = [keep]
                for other in others {
                    var gone = CubeRevision(of: other.cube, provenance: runProvenance(
                        .consolidateMerge, progress, requester: requester, ["superseded_by": .string(survivor.cube.id.rawValue)]))
                    gone.state = .superseded
                    revisions.append(gone)
                }
                do {
                    _ = try store.revise(
                        namespace: namespace, revisions, linking: others.map { RunEdge(from: $0.key, to: survivor.key, type: "superseded_by") },
                        runID: progress.runID, at: clock.now()
                    ) { writes.applyRevisions($0, vectors: vectors) }
                    progress.note(description, count: others.count)
                } catch StoreError.versionConflict, StoreError.notFound, StoreError.expired, StoreError.invalidState {
                    progress.skip("\(description): a memory changed meanwhile; the next run retries")
                }
            }
            work.groups[namespace] = nil
            work.wrote(namespace, dryRun: progress.dryRun)
        }
    }
}
