import MemCube
import MemStore

/// The store with the indexes recall derives from it: the writes that change
/// what recall can find go through here, so that the vector and keyword
/// indexes follow each commit (the store runs the `afterCommit` closures in
/// commit order, before the next write). Used by the request handlers and by
/// consolidation alike.
///
/// Thread-safe: the store serializes writes; the indexes lock themselves.
public struct IndexedStore: Sendable {
    public let store: any CubeStore
    public let index: any VectorIndex
    public let keywords: KeywordIndex
    public let embedder: any Embedder

    public init(store: any CubeStore, index: any VectorIndex, keywords: KeywordIndex, embedder: any Embedder) {
        self.store = store
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
    }

    /// Embeds the cubes that have text, stores them all in one transaction
    /// and, once committed, indexes them.
    public func add(_ cubes: [MemCube], entities: [[Entity]]) throws -> [StoredCube] {
        // Only memories with text get a vector (activation and parameter ones may have none).
        let withText = cubes.indices.filter { !(cubes[$0].text ?? "").isEmpty }
        let computed = try embedder.embed(withText.map { cubes[$0].text ?? "" })
        var vectors = [[Float]?](repeating: nil, count: cubes.count)
        for (i, vector) in zip(withText, computed) { vectors[i] = vector }
        let newCubes = zip(zip(cubes, vectors), entities).map { pair, entities in
            NewCube(cube: pair.0, embedding: pair.1.map { Embedding(embedder: embedder.id, vector: $0) }, entities: entities)
        }
        return try store.add(newCubes) { stored in
            for (namespace, entries) in Dictionary(grouping: stored, by: \.cube.namespace) {
                keywords.upsert(namespace: namespace, entries.map {
                    KeywordIndex.Entry(key: $0.key, text: $0.cube.text, meta: VectorMeta($0.cube))
                })
            }
            for (entry, new) in zip(stored, newCubes) {
                guard let vector = new.embedding?.vector else { continue }
                index.upsert(namespace: entry.cube.namespace, key: entry.key, vector: vector, meta: VectorMeta(entry.cube))
            }
        }
    }

    /// Stores exported memories (their rows as they were), with vectors of
    /// this embedder for their current text; once committed, indexes the
    /// active ones (the archive stays out of the vector index).
    public func importRecords(
        namespace: String, _ records: [TransferRecord], peer: Provenance, at: Timestamp
    ) throws -> (imported: [StoredCube], skipped: [CubeID]) {
        var texts: [(CubeID, String)] = []
        for record in records {
            guard case .string(let id)? = record.memory["id"], let cubeID = CubeID(id),
                  case .string(let text)? = record.memory["text"], !text.isEmpty else { continue }
            texts.append((cubeID, text))
        }
        let computed = try embedder.embed(texts.map(\.1))
        var vectors: [CubeID: Embedding] = [:]
        for ((id, _), vector) in zip(texts, computed) { vectors[id] = Embedding(embedder: embedder.id, vector: vector) }
        return try store.importRecords(namespace: namespace, records, vectors: vectors, peer: peer, at: at) { stored in
            let active = stored.filter { $0.cube.state == .active }
            keywords.upsert(namespace: namespace, active.map { KeywordIndex.Entry(key: $0.key, text: $0.cube.text, meta: VectorMeta($0.cube)) })
            for entry in active where entry.cube.tier != .archive {
                guard let vector = vectors[entry.cube.id]?.vector else { continue }
                index.upsert(namespace: namespace, key: entry.key, vector: vector, meta: VectorMeta(entry.cube))
            }
        }
    }

    /// Index and keyword effects of committed revisions: active memories are
    /// (re)indexed, others leave both indexes. `vectors` holds new vectors by id.
    public func applyRevisions(_ revised: [RevisedCube], vectors: [CubeID: [Float]]) {
        var restore: [Int64] = []
        for entry in revised {
            let cube = entry.after.cube, key = entry.after.key
            guard cube.state == .active else {
                index.remove(namespace: cube.namespace, keys: [key])
                keywords.remove(namespace: cube.namespace, keys: [key])
                continue
            }
            let meta = VectorMeta(cube)
            keywords.upsert(namespace: cube.namespace, key: key, text: cube.text, meta: meta)
            guard cube.tier != .archive else { continue }
            if let vector = vectors[cube.id] {
                index.upsert(namespace: cube.namespace, key: key, vector: vector, meta: meta)
            } else if entry.before.cube.state != .active {
                restore.append(key)
            } else {
                index.updateMeta(namespace: cube.namespace, key: key, meta: meta)
            }
        }
        guard !restore.isEmpty, let records = try? store.vectorRecords(keys: restore) else { return }
        upsertCurrent(records)
    }

    /// Index effects of tier moves: memories entering the archive leave the
    /// vector index, those leaving it come back (with their stored vector);
    /// every index records the new tier for filters.
    public func applyTierMoves(_ moves: [(key: Int64, namespace: String, from: Tier, to: Tier)]) throws {
        for (place, group) in Dictionary(grouping: moves.filter { $0.from != $0.to }, by: { TierPlace(namespace: $0.namespace, tier: $0.to) }) {
            index.retier(namespace: place.namespace, keys: group.map(\.key), tier: place.tier)
            keywords.retier(namespace: place.namespace, keys: group.map(\.key), tier: place.tier)
        }
        for (namespace, group) in Dictionary(grouping: moves.filter { $0.to == .archive && $0.from != .archive }, by: \.namespace) {
            index.remove(namespace: namespace, keys: group.map(\.key))
        }
        upsertCurrent(try store.vectorRecords(keys: moves.filter { $0.from == .archive && $0.to != .archive }.map(\.key)))
    }

    private struct TierPlace: Hashable {
        var namespace: String
        var tier: Tier
    }

    /// Indexes the records whose vectors come from the current embedder.
    private func upsertCurrent(_ records: [VectorRecord]) {
        for record in records where record.embedding.embedder == embedder.id && record.embedding.vector.count == embedder.dimension {
            index.upsert(namespace: record.namespace, key: record.key, vector: record.embedding.vector, meta: record.meta)
        }
    }
}
