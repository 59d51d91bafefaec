import MemCube
import MemStore

/// The exact index: a dense row-major matrix per namespace, scanned with one
/// BLAS matrix-vector product per query.
///
/// O(n·d) per search, O(1) amortized insert and delete (swap with the last
/// row). The small-namespace path and the oracle that approximate indexes
/// are tested against.
public final class ExactIndex: VectorIndex {
    public let dimension: Int
    private let spaces = ReadWriteLocked<[String: Matrix]>([:])

    public init(dimension: Int) {
        self.dimension = dimension
    }

    struct Matrix {
        var rows: [Float] = []
        var keys: [Int64] = []
        var metas: [VectorMeta] = []
        var position: [Int64: Int] = [:]
    }

    public func upsert(namespace: String, key: Int64, vector: [Float], meta: VectorMeta) {
        precondition(vector.count == dimension, "vector of \(vector.count) dimensions in a \(dimension)-d index")
        spaces.write { spaces in
            var matrix = spaces.removeValue(forKey: namespace) ?? Matrix()
            if let row = matrix.position[key] {
                matrix.rows.replaceSubrange(row * dimension..<(row + 1) * dimension, with: vector)
                matrix.metas[row] = meta
            } else {
                matrix.position[key] = matrix.keys.count
                matrix.keys.append(key)
                matrix.metas.append(meta)
                matrix.rows.append(contentsOf: vector)
            }
            spaces[namespace] = matrix
        }
    }

    public func updateMeta(namespace: String, key: Int64, meta: VectorMeta) {
        spaces.write { spaces in
            guard let row = spaces[namespace]?.position[key] else { return }
            spaces[namespace]?.metas[row] = meta
        }
    }

    public func retier(namespace: String, keys: [Int64], tier: Tier) {
        spaces.write { spaces in
            for key in keys {
                guard let row = spaces[namespace]?.position[key] else { continue }
                spaces[namespace]?.metas[row].tier = tier
            }
        }
    }

    public func remove(namespace: String, keys: [Int64]) {
        spaces.write { spaces in
            guard var matrix = spaces.removeValue(forKey: namespace) else { return }
            for key in keys {
                guard let row = matrix.position.removeValue(forKey: key) else { continue }
                let last = matrix.keys.count - 1
                if row != last {
                    let lastKey = matrix.keys[last]
                    for j in 0..<dimension { matrix.rows[row * dimension + j] = matrix.rows[last * dimension + j] }
                    matrix.keys[row] = lastKey
                    matrix.metas[row] = matrix.metas[last]
                    matrix.position[lastKey] = row
                }
                matrix.keys.removeLast()
                matrix.metas.removeLast()
                matrix.rows.removeLast(dimension)
            }
            if !matrix.keys.isEmpty { spaces[namespace] = matrix }
        }
    }

    public func search(
        namespace: String, query: [Float], k: Int, filter: CubeFilter, now: Timestamp
    ) -> [VectorHit] {
        guard query.count == dimension, k > 0 else { return [] }
        return spaces.read { spaces in
            guard let matrix = spaces[namespace] else { return [] }
            let n = matrix.keys.count
            var scores = [Float](repeating: 0, count: n)
            matrix.rows.withUnsafeBufferPointer { rows in
                query.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        BLAS.matrixVector(rows, rows: n, cols: dimension, q, into: out)
                    }
                }
            }
            var top = TopK<Int64>(k: k)
            for row in 0..<n where scores[row] > top.threshold {
                if matrix.metas[row].matches(filter, now: now) {
                    top.offer(scores[row], matrix.keys[row])
                }
            }
            return top.sorted().map { VectorHit(key: $0.item, score: $0.score) }
        }
    }

    public func vectors(namespace: String, keys: [Int64]) -> [Int64: [Float]] {
        spaces.read { spaces in
            guard let matrix = spaces[namespace] else { return [:] }
            var result: [Int64: [Float]] = [:]
            for key in keys {
                guard let row = matrix.position[key] else { continue }
                result[key] = Array(matrix.rows[(row * dimension)..<((row + 1) * dimension)])
            }
            return result
        }
    }

    public func count(namespace: String) -> Int {
        spaces.read { $0[namespace]?.keys.count ?? 0 }
    }

    /// Every entry of a namespace (for moving it to another index).
    func entries(namespace: String) -> [(key: Int64, vector: [Float], meta: VectorMeta)] {
        spaces.read { spaces in
            guard let matrix = spaces[namespace] else { return [] }
            return matrix.keys.indices.map { row in
                (matrix.keys[row], Array(matrix.rows[(row * dimension)..<((row + 1) * dimension)]), matrix.metas[row])
            }
        }
    }

    func removeNamespace(_ namespace: String) {
        spaces.write { _ = $0.removeValue(forKey: namespace) }
    }

    var namespaces: [String] { spaces.read { Array($0.keys) } }

    public var totalCount: Int {
        spaces.read { $0.values.reduce(0) { $0 + $1.keys.count } }
    }
}
