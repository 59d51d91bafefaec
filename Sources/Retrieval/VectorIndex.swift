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
    func remove(namespace: String, keys: [Int64])
    /// The `k` best entries of `namespace` whose metadata passes `filter`.
    func search(
        namespace: String, query: [Float], k: Int, filter: CubeFilter, now: Timestamp
    ) -> [VectorHit]
    /// The stored vectors of these keys (missing keys are left out).
    func vectors(namespace: String, keys: [Int64]) -> [Int64: [Float]]
    func count(namespace: String) -> Int
    var totalCount: Int { get }
}

public struct VectorHit: Sendable, Hashable {
    public var key: Int64
    public var score: Float
}
