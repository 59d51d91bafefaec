import MemAPI
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

extension MemoryService {
    /// Provenance of a change a run makes: the run id in `source`, with `extra`.
    func runProvenance(
        _ operation: Operation, _ progress: RunProgress, peer: PeerCredentials?, _ extra: [String: JSONValue] = [:],
        derivedFrom: [CubeID] = []
    ) -> Provenance {
        var source = extra
        source[consolidationRunKey] = .string(progress.runID)
        return Provenance(peerUID: peer?.uid, peerPID: peer?.pid, operation: operation, source: .object(source), derivedFrom: derivedFrom)
    }

    /// The namespace's memories now (read again only after a step wrote to
    /// it); neighbour lists already computed in this run are reused (those of
    /// memories gone are dropped).
    private func view(_ namespace: String, _ progress: RunProgress, work: inout ContentWork) throws -> NamespaceView {
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
                    namespace: namespace, query: vector, k: consolidationSettings.neighbours + 1, filter: CubeFilter(), now: now
                ).filter { $0.key != key }.map { (key: $0.key, score: $0.score) }
            }
            done += chunk.count
            try progress.examined(done, of: missing.count)
        }
        work.views[namespace] = view
        work.unwritten.insert(namespace)
        return view
    }

    /// dedupe: finds groups of duplicates (same normalized text, or near by
    /// vector and making the same claim); merge acts on them.
    func dedupeStep(_ progress: RunProgress, work: inout ContentWork) throws {
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            let groups = consolidationSettings.finder.groups(view.items) { view.neighbours[$0] ?? [] }
            work.groups[namespace] = groups
            for group in groups {
                progress.note(describe(group, namespace: namespace, view: view), count: group.others.count)
            }
        }
    }

    private func describe(_ group: DuplicateGroup, namespace: String, view: NamespaceView) -> String {
        let id = { (key: Int64) in view.stored[key]?.cube.id.rawValue ?? "#\(key)" }
        let text = Self.quote(view.stored[group.textFrom]?.cube.text)
        return "\(namespace)/\(id(group.survivor)) keeps \(group.others.map(id).joined(separator: ", ")) "
            + "(\(group.exact ? "same text" : "near duplicate")): \(text)"
    }

    /// A memory's text for a report line: quoted, one line, at most 60 characters.
    static func quote(_ text: String?) -> String {
        let line = (text ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\"" + (line.count > 60 ? line.prefix(59) + "…" : line) + "\""
    }

    /// merge: each duplicate group's oldest memory survives as a new version
    /// (the fullest text, every tag, attributes, the highest importance, the
    /// summed access count); the others become superseded, linked to it.
    func mergeStep(_ progress: RunProgress, work: inout ContentWork, peer: PeerCredentials?) throws {
        for namespace in progress.report.namespaces {
            let view = try view(namespace, progress, work: &work)
            let groups = work.groups[namespace] ?? consolidationSettings.finder.groups(view.items) { view.neighbours[$0] ?? [] }
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
                    .consolidateMerge, progress, peer: peer,
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
                        .consolidateMerge, progress, peer: peer, ["superseded_by": .string(survivor.cube.id.rawValue)]))
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

    /// supersede: structured facts (same attributes.key, or subject and
    /// predicate) close the validity of the statements they replace; free
    /// text that likely contradicts a similar memory is linked `conflicts_with`.
    func supersedeStep(_ progress: RunProgress, work: inout ContentWork, peer: PeerCredentials?) throws {
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
                    .consolidateSupersede, progress, peer: peer, ["superseded_by": .string(newer.cube.id.rawValue)]))
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
            let conflicts = consolidationSettings.finder.conflicts(view.items) { view.neighbours[$0] ?? [] }
            let linked = try store.linked(keys: conflicts.map(\.a), type: "conflicts_with")
            for conflict in conflicts {
                guard let a = view.stored[conflict.a], let b = view.stored[conflict.b],
                      !(linked[conflict.a] ?? []).contains(b.cube.id) else { continue }
                let description = "\(namespace)/\(a.cube.id.rawValue) \(Self.quote(a.cube.text)) conflicts with "
                    + "\(b.cube.id.rawValue) \(Self.quote(b.cube.text)) (\(conflict.reason))"
                if !progress.dryRun {
                    conflictLinks.store(true, ordering: .relaxed)
                    try store.addEdges(
                        [RunEdge(from: a.key, to: b.key, type: "conflicts_with", weight: Double(conflict.similarity))],
                        runID: progress.runID, at: clock.now())
                }
                progress.note(description)
            }
            work.wrote(namespace, dryRun: progress.dryRun)
        }
    }

    /// summarize: sessions (and, for memories without one, clusters of
    /// similar memories) with enough members get an extractive summary
    /// memory, derived from its members; a summary whose members changed
    /// gets a new version.
    func summarizeStep(_ progress: RunProgress, work: inout ContentWork, peer: PeerCredentials?) throws {
        let settings = consolidationSettings
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
                    .consolidateSummarize, progress, peer: peer, ["summary_of": .string(cluster.label)], derivedFrom: memberIDs)
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
    private func entityClusters(
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
    private func similarityClusters(
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
