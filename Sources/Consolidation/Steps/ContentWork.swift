import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

/// One namespace as the content steps see it: its active plaintext
/// memories (summaries apart) and each one's nearest neighbours.
struct NamespaceView {
    var stored: [Int64: StoredCube] = [:]
    var items: [ConsolidationItem] = []
    var summaries: [StoredCube] = []
    var neighbours: [Int64: [SimilarItem]] = [:]
}

/// What the content steps of one run share: namespace views (neighbour
/// lists cost one vector search per memory) and the groups dedupe found.
struct ContentWork {
    var views: [String: NamespaceView] = [:]
    var groups: [String: [DuplicateGroup]] = [:]
    /// Namespaces whose view no step of this run has written to since it was read.
    var unwritten: Set<String> = []

    /// A step wrote to `namespace` (nothing in a dry run): its view is read again.
    mutating func wrote(_ namespace: String, dryRun: Bool) {
        if !dryRun { unwritten.remove(namespace) }
    }
}

extension Consolidator {
    /// The namespace's memories now (read again only after a step wrote to
    /// it); neighbour lists already computed in this run are reused (those of
    /// memories gone are dropped).
    func view(_ namespace: String, _ progress: RunProgress, work: inout ContentWork) throws -> NamespaceView {
        if work.unwritten.contains(namespace), let view = work.views[namespace] { return view }
        var view = NamespaceView()
        for stored in try store.activeTextCubes(namespace: namespace, now: clock.now()) {
            view.stored[stored.key] = stored
            let cube = stored.cube
            if cube.provenance.operation == .consolidateSummarize {
                view.summaries.append(stored)
                continue
            }
            view.items.append(ConsolidationItem(
                key: stored.key, id: cube.id, agent: cube.agent, session: cube.session, text: cube.text ?? "",
                time: cube.occurredAt ?? cube.createdAt, attributes: cube.attributes))
        }
        let known = work.views[namespace]?.neighbours ?? [:]
        let missing = view.items.map(\.key).filter { known[$0] == nil }
        view.neighbours = known.filter { view.stored[$0.key] != nil }
        var done = 0
        let now = clock.now()
        for start in stride(from: 0, to: missing.count, by: 256) {
            let chunk = Array(missing[start..<min(start + 256, missing.count)])
            let vectors = index.vectors(namespace: namespace, keys: chunk)
            for key in chunk {
                guard let vector = vectors[key] else { continue }  // archived: out of the index
                view.neighbours[key] = index.search(
                    namespace: namespace, query: vector, k: settings.neighbours + 1, filter: CubeFilter(), now: now
                ).filter { $0.key != key }.map { (key: $0.key, score: $0.score) }
            }
            done += chunk.count
            try progress.examined(done, of: missing.count)
        }
        work.views[namespace] = view
        work.unwritten.insert(namespace)
        return view
    }

    func describe(_ group: DuplicateGroup, namespace: String, view: NamespaceView) -> String {
        let id = { (key: Int64) in view.stored[key]?.cube.id.rawValue ?? "#\(key)" }
        let text = Self.quote(view.stored[group.textFrom]?.cube.text)
        return "\(namespace)/\(id(group.survivor)) keeps \(group.others.map(id).joined(separator: ", ")) "
            + "(\(group.exact ? "same text" : "near duplicate")): \(text)"
    }
}
