import Foundation
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval

extension Consolidator {
    /// summarize: sessions (and, for memories without one, clusters of
    /// similar memories) with enough members get an extractive summary
    /// memory, derived from its members; a summary whose members changed
    /// gets a new version.
    func summarizeStep(_ progress: RunProgress, work: inout ContentWork, requester: Requester?) throws {
        let settings = settings
        var chat = settings.chat
        var budget = settings.chatTokenBudget
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            var clusters: [(label: String, keys: [Int64])] = []
            let bySession = Dictionary(grouping: view.items.filter { $0.session != nil }, by: { $0.session! })
            for (session, members) in bySession where members.count >= settings.summaryMinMembers {
                clusters.append(("session:\(session)", members.map(\.key).sorted()))
            }
            let sessionless = view.items.filter { $0.session == nil }
            let byEntity = try entityClusters(sessionless, view: view, settings: settings)
            clusters += byEntity
            let inEntityCluster = Set(byEntity.flatMap(\.keys))
            clusters += similarityClusters(sessionless.filter { !inEntityCluster.contains($0.key) }, view: view, settings: settings)
            clusters.sort { $0.label < $1.label }
            var existing: [String: StoredCube] = [:]
            for summary in view.summaries {
                if case .string(let label)? = summary.cube.attributes["summary_of"] { existing[label] = summary }
            }
            for (i, cluster) in clusters.enumerated() {
                try progress.examined(i + 1, of: clusters.count)
                let members = cluster.keys.compactMap { view.stored[$0] }
                let memberIDs = members.map(\.cube.id)
                let old = existing[cluster.label]
                if let old, Set(old.cube.provenance.derivedFrom) == Set(memberIDs) { continue }  // up to date
                let vectors = index.vectors(namespace: namespace, keys: members.map(\.key))
                let withVectors = members.filter { vectors[$0.key] != nil }
                let picked = ExtractiveSummary.pick(vectors: withVectors.map { vectors[$0.key]! })
                var text = ExtractiveSummary.text(of: picked.map { withVectors[$0].cube.text ?? "" })
                var method = "extractive"
                if let summarizer = chat, !progress.dryRun {
                    // The members in time order, each cut to 400 characters, at most 60 of them.
                    let texts = members.sorted { ($0.cube.occurredAt ?? $0.cube.createdAt) < ($1.cube.occurredAt ?? $1.cube.createdAt) }
                        .prefix(60).map { String(($0.cube.text ?? "").prefix(400)) }
                    if summarizer.estimatedTokens(texts) > budget {
                        progress.note("chat token budget (\(settings.chatTokenBudget)) spent: extractive summaries from here", count: 0)
                        chat = nil
                    } else {
                        do {
                            let summary = try summarizer.summarize(texts)
                            budget -= summary.tokens
                            text = summary.text
                            method = "abstractive"
                        } catch {
                            progress.note("chat endpoint failed, extractive summaries from here: \(error)", count: 0)
                            chat = nil
                        }
                    }
                }
                guard !text.isEmpty else { continue }
                let description = "\(namespace)/\(cluster.label): \(members.count) memories → \(Self.quote(text))"
                guard !progress.dryRun else {
                    progress.note(description)
                    continue
                }
                var attributes: [String: JSONValue] = [
                    "summary_of": .string(cluster.label), "members": .int(Int64(members.count)), "method": .string(method),
                ]
                if method == "abstractive", let model = settings.chat?.model { attributes["model"] = .string(model) }
                let agents = Set(members.map(\.cube.agent))
                let latest = members.map { $0.cube.occurredAt ?? $0.cube.createdAt }.max()
                let provenance = runProvenance(
                    .consolidateSummarize, progress, requester: requester, ["summary_of": .string(cluster.label)], derivedFrom: memberIDs)
                if let old {
                    var revision = CubeRevision(of: old.cube, provenance: provenance)
                    revision.text = text
                    revision.attributes = attributes
                    revision.occurredAt = latest
                    revision.derivedFrom = memberIDs
                    revision.entities = EntityExtractor.extract(text)
                    let vector = try embedder.embed(text)
                    revision.embedding = Embedding(embedder: embedder.id, vector: vector)
                    do {
                        _ = try store.revise(namespace: namespace, [revision], linking: [], runID: progress.runID, at: clock.now()) {
                            writes.applyRevisions($0, vectors: [old.cube.id: vector])
                        }
                        progress.note(description + " (updated)")
                    } catch StoreError.versionConflict, StoreError.notFound, StoreError.expired, StoreError.invalidState {
                        progress.skip("\(description): the summary changed meanwhile")
                    }
                    continue
                }
                let now = clock.now()
                let cube = MemCube(
                    id: CubeID.generate(at: now.millis), namespace: namespace, agent: agents.count == 1 ? agents.first! : nil,
                    text: text, tags: ["summary"], attributes: attributes, importance: 0.5, occurredAt: latest, createdAt: now,
                    provenance: provenance)
                _ = try writes.add([cube], entities: [EntityExtractor.extract(text)])
                progress.note(description)
            }
            work.wrote(namespace, dryRun: progress.dryRun)
        }
    }

    /// Memories (no session) about one named entity: each memory goes to the
    /// most mentioned name it mentions; a name with enough memories is a
    /// cluster (its newest `summaryMaxMembers`), named `entity:<name>`.
    func entityClusters(
        _ items: [ConsolidationItem], view: NamespaceView, settings: ConsolidationSettings
    ) throws -> [(label: String, keys: [Int64])] {
        var names: [Int64: [EntityStat]] = [:]
        let keys = items.map(\.key)
        for start in stride(from: 0, to: keys.count, by: 10_000) {
            names.merge(try store.entities(ofKeys: Array(keys[start..<min(start + 10_000, keys.count)]))) { a, _ in a }
        }
        var members: [String: [Int64]] = [:]
        for key in keys {
            let best = (names[key] ?? []).filter { $0.entity.kind == .name }.max { a, b in
                a.mentions != b.mentions ? a.mentions < b.mentions : a.entity.key > b.entity.key
            }
            if let best { members[best.entity.key, default: []].append(key) }
        }
        return members.filter { $0.value.count >= settings.summaryMinMembers }.map { name, keys in
            ("entity:\(name)", Array(keys.sorted().suffix(settings.summaryMaxMembers)))
        }
    }

    /// Connected groups of memories (no session) whose vectors are at least
    /// `clusterThreshold` alike, cut at `summaryMaxMembers`, named by their oldest member.
    func similarityClusters(
        _ items: [ConsolidationItem], view: NamespaceView, settings: ConsolidationSettings
    ) -> [(label: String, keys: [Int64])] {
        let eligible = Set(items.map(\.key))
        var seen = Set<Int64>()
        var clusters: [(label: String, keys: [Int64])] = []
        for item in items.sorted(by: { $0.key < $1.key }) where !seen.contains(item.key) {
            var members: [Int64] = []
            var queue = [item.key]
            seen.insert(item.key)
            while let key = queue.popLast(), members.count < settings.summaryMaxMembers {
                members.append(key)
                for (other, score) in view.neighbours[key] ?? [] where score >= settings.clusterThreshold {
                    if eligible.contains(other), seen.insert(other).inserted { queue.append(other) }
                }
            }
            guard members.count >= settings.summaryMinMembers else { continue }
            members.sort()
            clusters.append(("cluster:\(view.stored[members[0]]?.cube.id.rawValue ?? "#\(members[0])")", members))
        }
        return clusters
    }
}
