import Foundation
import MemCube
import MemStore
import Synchronization

/// The index memosd uses: per namespace, the exact BLAS scan while the
/// namespace is small, an HNSW graph once it holds `threshold` vectors.
///
/// Moving a namespace to HNSW happens on a background thread: the graph is
/// built from a copy while the exact scan keeps serving, then changes made
/// meanwhile are applied and the graph takes over under the write lock.
/// Graphs are saved as snapshots at shutdown and reused at start when their
/// keys still match the store (else rebuilt): derived data, never the truth.
public final class TieredIndex: VectorIndex {
    public let dimension: Int
    public let threshold: Int
    public let parameters: HNSWGraph.Parameters
    let exact: ExactIndex
    let graphs = ReadWriteLocked<[String: HNSWGraph]>([:])
    private let promoting = Mutex<Set<String>>([])
    private let onEvent: @Sendable (String, [(String, String)]) -> Void

    public init(
        dimension: Int, threshold: Int = 20_000, parameters: HNSWGraph.Parameters = .init(),
        onEvent: @escaping @Sendable (String, [(String, String)]) -> Void = { _, _ in }
    ) {
        self.dimension = dimension
        self.threshold = threshold
        self.parameters = parameters
        self.exact = ExactIndex(dimension: dimension)
        self.onEvent = onEvent
    }

    /// Which index serves a namespace now: "exact" or "hnsw".
    public func kind(namespace: String) -> String {
        graphs.read { $0[namespace] != nil } ? "hnsw" : "exact"
    }

    public func upsert(namespace: String, key: Int64, vector: [Float], meta: VectorMeta) {
        // The exact insert happens under the graphs' read lock, so a promotion
        // cannot swap the namespace out between the check and the insert.
        let inExact = graphs.read { graphs -> Bool in
            guard graphs[namespace] == nil else { return false }
            exact.upsert(namespace: namespace, key: key, vector: vector, meta: meta)
            return true
        }
        if inExact {
            if exact.count(namespace: namespace) >= threshold { promote(namespace) }
        } else {
            graphs.write { $0[namespace]?.insert(key: key, vector: vector, meta: meta) }
        }
    }

    public func updateMeta(namespace: String, key: Int64, meta: VectorMeta) {
        let inExact = graphs.read { graphs -> Bool in
            guard graphs[namespace] == nil else { return false }
            exact.updateMeta(namespace: namespace, key: key, meta: meta)
            return true
        }
        if !inExact { graphs.write { $0[namespace]?.updateMeta(key: key, meta: meta) } }
    }

    public func retier(namespace: String, keys: [Int64], tier: Tier) {
        let inExact = graphs.read { graphs -> Bool in
            guard graphs[namespace] == nil else { return false }
            exact.retier(namespace: namespace, keys: keys, tier: tier)
            return true
        }
        if !inExact { graphs.write { $0[namespace]?.retier(keys: keys, tier: tier) } }
    }

    public func remove(namespace: String, keys: [Int64]) {
        let inExact = graphs.read { graphs -> Bool in
            guard graphs[namespace] == nil else { return false }
            exact.remove(namespace: namespace, keys: keys)
            return true
        }
        if !inExact { graphs.write { for key in keys { $0[namespace]?.remove(key: key) } } }
    }

    public func search(namespace: String, query: [Float], k: Int, filter: CubeFilter, now: Timestamp) -> [VectorHit] {
        if let hits = graphs.read({ graphs -> [VectorHit]? in
            guard let graph = graphs[namespace] else { return nil }
            return graph.search(query, k: k, filter: filter, now: now).hits.map { VectorHit(key: $0.key, score: $0.score) }
        }) {
            return hits
        }
        return exact.search(namespace: namespace, query: query, k: k, filter: filter, now: now)
    }

    public func vectors(namespace: String, keys: [Int64]) -> [Int64: [Float]] {
        if let found = graphs.read({ graphs -> [Int64: [Float]]? in
            guard let graph = graphs[namespace] else { return nil }
            var result: [Int64: [Float]] = [:]
            for key in keys { result[key] = graph.vector(key: key) }
            return result
        }) {
            return found
        }
        return exact.vectors(namespace: namespace, keys: keys)
    }

    public func count(namespace: String) -> Int {
        graphs.read { $0[namespace]?.count } ?? exact.count(namespace: namespace)
    }

    public var totalCount: Int {
        exact.totalCount + graphs.read { $0.values.reduce(0) { $0 + $1.count } }
    }

    // MARK: - Promotion

    /// Builds a graph for `namespace` on a background thread (once).
    func promote(_ namespace: String) {
        guard promoting.withLock({ $0.insert(namespace).inserted }) else { return }
        let thread = Thread { [self] in
            let started = Date()
            var graph = HNSWGraph(dimension: dimension, parameters: parameters)
            for entry in exact.entries(namespace: namespace) {
                graph.insert(key: entry.key, vector: entry.vector, meta: entry.meta)
            }
            // Catch up with what changed during the build in rounds outside
            // the lock (adds keep coming), then apply the last few changes
            // under the write lock and take over.
            for _ in 0..<8 where Self.catchUp(&graph, with: exact.entries(namespace: namespace)) > 256 {}
            graphs.write { graphs in
                Self.catchUp(&graph, with: exact.entries(namespace: namespace))
                graphs[namespace] = graph
                exact.removeNamespace(namespace)
            }
            promoting.withLock { _ = $0.remove(namespace) }
            onEvent("namespace moved to the HNSW index", [
                ("namespace", namespace), ("vectors", "\(graph.count)"),
                ("seconds", String(format: "%.1f", Date().timeIntervalSince(started))),
            ])
        }
        thread.name = "memosd-hnsw-build"
        thread.start()
    }

    /// Makes `graph` hold exactly `entries`; returns how many it inserted or removed.
    @discardableResult
    static func catchUp(_ graph: inout HNSWGraph, with entries: [(key: Int64, vector: [Float], meta: VectorMeta)]) -> Int {
        var changes = 0
        let live = Set(entries.map(\.key))
        for key in graph.position.keys where !live.contains(key) {
            graph.remove(key: key)
            changes += 1
        }
        for entry in entries {
            if graph.vector(key: entry.key) != entry.vector {
                graph.insert(key: entry.key, vector: entry.vector, meta: entry.meta)
                changes += 1
            } else {
                graph.updateMeta(key: entry.key, meta: entry.meta)
            }
        }
        return changes
    }

    /// Blocks until no promotion is running (tests and shutdown).
    public func waitForPromotions() {
        while !promoting.withLock({ $0.isEmpty }) { usleep(5_000) }
    }

    // MARK: - Compaction

    /// Rebuilds the graphs whose share of tombstones (deleted nodes that
    /// still route searches) is at least `threshold`, outside the lock, then
    /// swaps them in with the changes made meanwhile. Returns per namespace
    /// the tombstones dropped.
    public func compact(threshold: Double) -> [String: Int] {
        let candidates = graphs.read { graphs in
            graphs.filter { $0.value.tombstoneRatio >= threshold && $0.value.deletedCount > 0 }.map(\.key)
        }
        var dropped: [String: Int] = [:]
        for namespace in candidates {
            guard let old = graphs.read({ $0[namespace] }) else { continue }
            var fresh = HNSWGraph(dimension: dimension, parameters: parameters)
            for (key, node) in old.position.sorted(by: { $0.value < $1.value }) {
                fresh.insert(key: key, vector: old.vector(key: key)!, meta: old.metas[Int(node)])
            }
            graphs.write { graphs in
                guard let current = graphs[namespace] else { return }
                // Apply what changed during the rebuild.
                for key in fresh.position.keys where current.position[key] == nil { fresh.remove(key: key) }
                for (key, node) in current.position {
                    let vector = current.vector(key: key)!
                    if fresh.vector(key: key) != vector {
                        fresh.insert(key: key, vector: vector, meta: current.metas[Int(node)])
                    } else {
                        fresh.updateMeta(key: key, meta: current.metas[Int(node)])
                    }
                }
                dropped[namespace] = current.deletedCount
                graphs[namespace] = fresh
            }
        }
        return dropped
    }

    // MARK: - Start-up and shutdown

    /// Loads a namespace's records at start: exact below the threshold; at
    /// or above it, the saved graph when its keys match, else a new graph.
    /// Returns "exact", "hnsw (snapshot)" or "hnsw (rebuilt)".
    @discardableResult
    public func load(namespace: String, records: [VectorRecord], snapshotDirectory: String?) -> String {
        guard records.count >= threshold else {
            for record in records {
                exact.upsert(namespace: namespace, key: record.key, vector: record.embedding.vector, meta: record.meta)
            }
            return "exact"
        }
        let metas = Dictionary(records.map { ($0.key, $0.meta) }, uniquingKeysWith: { a, _ in a })
        if let directory = snapshotDirectory,
           let graph = try? HNSWSnapshot.load(
               from: Self.snapshotPath(directory, namespace), dimension: dimension, parameters: parameters,
               meta: { metas[$0] }),
           graph.count == metas.count
        {
            graphs.write { $0[namespace] = graph }
            return "hnsw (snapshot)"
        }
        var graph = HNSWGraph(dimension: dimension, parameters: parameters)
        for record in records { graph.insert(key: record.key, vector: record.embedding.vector, meta: record.meta) }
        graphs.write { $0[namespace] = graph }
        return "hnsw (rebuilt)"
    }

    /// Saves every graph (at shutdown). Errors are returned, not thrown: a
    /// missing snapshot only costs a rebuild at the next start.
    public func saveSnapshots(to directory: String) -> [String] {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return graphs.read { graphs in
            graphs.compactMap { namespace, graph in
                do {
                    try HNSWSnapshot.save(graph, to: Self.snapshotPath(directory, namespace))
                    return nil
                } catch {
                    return "\(namespace): \(error)"
                }
            }
        }
    }

    static func snapshotPath(_ directory: String, _ namespace: String) -> String {
        var hash = FNV1a()
        hash.combine(namespace)
        return directory + "/" + String(hash.finalized, radix: 16) + ".hnsw"
    }
}
