import MemCube
import MemStore

/// A nearest-neighbour index over the vectors of many namespaces.
///
/// Derived data: it can always be rebuilt from the store. Scores are cosine
/// similarities (vectors are unit length). Thread-safe.
public protocol VectorIndex: Sendable {
    /// Inserts or replaces the vector of `key`.
    func upsert(namespace: String, key: Int64, vector: [Float], meta: VectorMeta)
    /// Replaces the filter metadata of `key` (tags, session... changed).
    func updateMeta(namespace: String, key: Int64, meta: VectorMeta)
    /// Records that these memories moved to `tier` (a filter may read it).
    func retier(namespace: String, keys: [Int64], tier: Tier)
    func remove(namespace: String, keys: [Int64])
    /// The `k` best entries of `namespace` whose metadata passes `filter`.
    func search(
        namespace: String, query: [Float], k: Int, filter: CubeFilter, now: Timestamp
    ) -> [VectorHit]
    /// The stored vectors of these keys (missing keys are left out).
    func vectors(namespace: String, keys: [Int64]) -> [Int64: [Float]]
    func count(namespace: String) -> Int
    var totalCount: Int { get }

    /// Loads a namespace's stored vectors at start (an index may restore a
    /// saved structure from `snapshotDirectory`); returns how, for the log.
    func load(namespace: String, records: [VectorRecord], snapshotDirectory: String?) -> String
    /// The search structure serving `namespace` (`exact`, `hnsw`), for stats.
    func kind(namespace: String) -> String
    /// Rebuilds structures in which at least `threshold` of the entries are
    /// deleted; returns the deleted entries dropped, by namespace.
    func compact(threshold: Double) -> [String: Int]
}

extension VectorIndex {
    public func load(namespace: String, records: [VectorRecord], snapshotDirectory: String?) -> String {
        for record in records {
            upsert(namespace: record.namespace, key: record.key, vector: record.embedding.vector, meta: record.meta)
        }
        return "exact"
    }

    public func kind(namespace: String) -> String { "exact" }

    public func compact(threshold: Double) -> [String: Int] { [:] }
}

public struct VectorHit: Sendable, Hashable {
    public var key: Int64
    public var score: Float
}
