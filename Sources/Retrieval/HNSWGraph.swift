import COpenBLAS
import Foundation
import MemCube
import MemStore

/// A hierarchical navigable small-world graph (Malkov & Yashunin, 2018) over
/// unit vectors, scored by dot product (cosine).
///
/// Value type, not thread-safe: `HNSWIndex` guards it with a read-write
/// lock. Deletes are tombstones: a deleted node still routes searches but is
/// never returned; `tombstoneRatio` tells when a rebuild pays off.
/// Cost: insert O(efConstruction · M · log n) dot products; search
/// O(efSearch · M · log n).
public struct HNSWGraph: Sendable {
    public struct Parameters: Sendable, Hashable, Codable {
        /// Links per node on upper layers (2M on layer 0).
        public var m = 16
        public var efConstruction = 100
        public var efSearch = 100
        public init(m: Int = 16, efConstruction: Int = 100, efSearch: Int = 100) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
        }

        /// Up to this many nodes a search without an explicit ef uses `efSearch`.
        public static let efScaleFrom = 100_000

        /// The ef of a search that names none, for a graph of `nodes`: `efSearch`
        /// up to `efScaleFrom` nodes, then growing as (nodes / efScaleFrom)^0.78,
        /// capped at 20·efSearch. A graph of fixed M finds a smaller share of
        /// the true neighbours at the same ef as it grows (on the clustered
        /// 384-d bench set, M 16: ef 100 gives recall@10 0.987 at 100k but 0.72
        /// at 1M, where 0.95 needs ef ≈ 600 — what this gives at 1M).
        public func defaultEf(nodes: Int) -> Int {
            guard nodes > Self.efScaleFrom else { return efSearch }
            let growth = pow(Double(nodes) / Double(Self.efScaleFrom), 0.78)
            return min(efSearch * 20, Int((Double(efSearch) * growth).rounded()))
        }
    }

    public let dimension: Int
    public let parameters: Parameters
    var vectors: [Float] = []
    var keys: [Int64] = []
    var metas: [VectorMeta] = []
    /// Which nodes hold each filterable value, kept in step with `metas`.
    var postings = MetaPostings()
    var deleted: [Bool] = []
    /// Layer-0 links, one fixed-width row per node (`rowWidth` slots: the
    /// count, then up to 2M neighbour numbers), so a search reads a node's
    /// neighbours from one place instead of through nested arrays.
    var base: [Int32] = []
    /// Links above layer 0: `upper[node][layer - 1]`; empty for most nodes.
    var upper: [[[Int32]]] = []
    var position: [Int64: Int32] = [:]
    var entry: Int32 = -1
    var topLayer = -1
    var rng: SplitMix64
    var deletedCount = 0
    /// Inserts' visited marks, reused from one insert to the next (searches,
    /// which may run concurrently, each use their own `VisitedSet`).
    var insertVisits = VisitedMarks()

    public init(dimension: Int, parameters: Parameters = Parameters(), seed: UInt64 = 42) {
        self.dimension = dimension
        self.parameters = parameters
        rng = SplitMix64(seed: seed)
    }

    public var count: Int { keys.count - deletedCount }
    public var nodeCount: Int { keys.count }
    public var tombstoneRatio: Double { keys.isEmpty ? 0 : Double(deletedCount) / Double(keys.count) }
    var rowWidth: Int { 2 * parameters.m + 1 }

    /// How many layers `node` is linked on (1 + its level).
    func layerCount(_ node: Int32) -> Int { upper[Int(node)].count + 1 }

    /// Most links `layer` holds per node.
    func capacity(layer: Int) -> Int { layer == 0 ? 2 * parameters.m : parameters.m }

    /// `node`'s neighbours on `layer` (a copy; searches read rows in place).
    func neighbours(_ node: Int32, layer: Int) -> [Int32] {
        if layer > 0 { return upper[Int(node)][layer - 1] }
        let row = Int(node) * rowWidth
        return Array(base[(row + 1)..<(row + 1 + Int(base[row]))])
    }

    mutating func setNeighbours(_ node: Int32, layer: Int, _ list: [Int32]) {
        precondition(list.count <= capacity(layer: layer), "HNSW: \(list.count) links on layer \(layer)")
        if layer > 0 {
            upper[Int(node)][layer - 1] = list
            return
        }
        let row = Int(node) * rowWidth
        base[row] = Int32(list.count)
        for (i, neighbour) in list.enumerated() { base[row + 1 + i] = neighbour }
    }

    /// Room for a new node linked on `layers` layers, with no links yet.
    mutating func appendLinks(layers: Int) {
        base.append(contentsOf: repeatElement(0, count: rowWidth))
        upper.append(Array(repeating: [], count: layers - 1))
    }

    @inline(__always)
    func similarity(_ query: UnsafeBufferPointer<Float>, _ node: Int32) -> Float {
        vectors.withUnsafeBufferPointer { v in
            Dot.product(query.baseAddress!, v.baseAddress! + Int(node) * dimension, dimension)
        }
    }

    // MARK: - Insert and delete

    /// Inserts `key` (replacing an existing vector of the same key).
    public mutating func insert(key: Int64, vector: [Float], meta: VectorMeta) {
        precondition(vector.count == dimension, "HNSW: vector of \(vector.count) dimensions in a \(dimension)-d graph")
        if position[key] != nil { remove(key: key) }
        let node = Int32(keys.count)
        let level = randomLevel()
        vectors.append(contentsOf: vector)
        keys.append(key)
        metas.append(meta)
        postings.add(node, meta)
        deleted.append(false)
        appendLinks(layers: level + 1)
        position[key] = node
        guard entry >= 0 else {
            entry = node
            topLayer = level
            return
        }
        vector.withUnsafeBufferPointer { q in
            var nearest = entry
            var nearestScore = similarity(q, entry)
            var layer = topLayer
            while layer > level {
                (nearest, nearestScore) = greedy(q, from: nearest, score: nearestScore, layer: layer)
                layer -= 1
            }
            var entryPoints = [(nearestScore, nearest)]
            var visits = insertVisits
            insertVisits = VisitedMarks()  // moved out while in use: no copy-on-write of its array
            defer { insertVisits = visits }
            for layer in stride(from: min(level, topLayer), through: 0, by: -1) {
                visits.reset(count: keys.count)
                let candidates = searchLayer(q, entryPoints: entryPoints, ef: parameters.efConstruction, layer: layer, visited: &visits)
                // M links of its own on every layer (Malkov & Yashunin, algorithm 1); a
                // neighbour's list may grow to the layer's capacity (2M on layer 0) before pruning.
                let chosen = selectNeighbours(candidates, count: parameters.m)
                setNeighbours(node, layer: layer, chosen)
                for neighbour in chosen {
                    connect(neighbour, to: node, layer: layer)
                }
                entryPoints = candidates
            }
        }
        if level > topLayer {
            topLayer = level
            entry = node
        }
    }

    /// Tombstones `key`; returns whether it was there.
    @discardableResult
    public mutating func remove(key: Int64) -> Bool {
        guard let node = position.removeValue(forKey: key) else { return false }
        deleted[Int(node)] = true
        deletedCount += 1
        return true
    }

    public mutating func updateMeta(key: Int64, meta: VectorMeta) {
        guard let node = position[key] else { return }
        postings.change(node, from: metas[Int(node)], to: meta)
        metas[Int(node)] = meta
    }

    public mutating func retier(keys: [Int64], tier: Tier) {
        for key in keys {
            guard let node = position[key] else { continue }
            var meta = metas[Int(node)]
            meta.tier = tier
            updateMeta(key: key, meta: meta)
        }
    }

    public func vector(key: Int64) -> [Float]? {
        guard let node = position[key] else { return nil }
        return Array(vectors[(Int(node) * dimension)..<((Int(node) + 1) * dimension)])
    }

    mutating func randomLevel() -> Int {
        let unit = Double(rng.next() >> 11) / Double(1 << 53)
        let scale = 1 / log(Double(max(parameters.m, 2)))
        return min(16, Int(-log(max(unit, 1e-12)) * scale))
    }

    /// Adds `node` to `neighbour`'s links, pruning with the heuristic when full.
    mutating func connect(_ neighbour: Int32, to node: Int32, layer: Int) {
        let limit = capacity(layer: layer)
        var current = neighbours(neighbour, layer: layer)
        if current.count < limit {
            current.append(node)
        } else {
            // The neighbour's links are scattered in memory: start loading them all first.
            vectors.withUnsafeBufferPointer { v in
                for other in current { Prefetch.floats(v.baseAddress! + Int(other) * dimension, count: dimension) }
            }
            let candidates = (current + [node]).map { (similarity(neighbour, $0), $0) }
            current = selectNeighbours(candidates.sorted { $0.0 > $1.0 }, count: limit)
        }
        setNeighbours(neighbour, layer: layer, current)
    }

    /// Dot product of two stored nodes, without copying either.
    @inline(__always)
    func similarity(_ a: Int32, _ b: Int32) -> Float {
        vectors.withUnsafeBufferPointer { v in
            Dot.product(v.baseAddress! + Int(a) * dimension, v.baseAddress! + Int(b) * dimension, dimension)
        }
    }

    /// The neighbour-selection heuristic (algorithm 4): keep a candidate only
    /// if it is closer to the base than to every neighbour kept so far, then
    /// fill up with the closest of the rest. Candidates come best first.
    func selectNeighbours(_ candidates: [(Float, Int32)], count: Int) -> [Int32] {
        var kept: [(Float, Int32)] = []
        var skipped: [Int32] = []
        for candidate in candidates {
            if kept.count >= count { break }
            let dominated = kept.contains { similarity(candidate.1, $0.1) > candidate.0 }
            if dominated { skipped.append(candidate.1) } else { kept.append(candidate) }
        }
        var result = kept.map(\.1)
        for node in skipped where result.count < count { result.append(node) }
        return result
    }

    // MARK: - Search

    func greedy(_ q: UnsafeBufferPointer<Float>, from start: Int32, score: Float, layer: Int) -> (Int32, Float) {
        var best = start, bestScore = score
        var improved = true
        while improved {
            improved = false
            for neighbour in neighbours(best, layer: layer) {
                let s = similarity(q, neighbour)
                if s > bestScore {
                    bestScore = s
                    best = neighbour
                    improved = true
                }
            }
        }
        return (best, bestScore)
    }

    /// The `ef` best nodes of one layer reachable from the entry points, best first.
    ///
    /// Memory-bound at scale (each visit reads a vector of `dimension`
    /// floats from a random place), so the unvisited neighbours of a node are
    /// gathered first and their vectors prefetched, and the dot products then
    /// find them on the way to the cache instead of waiting for each in turn.
    func searchLayer<Visits: VisitTracking>(
        _ q: UnsafeBufferPointer<Float>, entryPoints: [(Float, Int32)], ef: Int, layer: Int, visited: inout Visits
    ) -> [(Float, Int32)] {
        for (_, node) in entryPoints { _ = visited.insert(node) }
        var candidates = Heap(entryPoints, maxFirst: true)   // to expand: best first
        var results = Heap(entryPoints, maxFirst: false)     // kept: worst on top
        let dimension = dimension, width = rowWidth
        vectors.withUnsafeBufferPointer { v in
            base.withUnsafeBufferPointer { rows in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: width) { pending in
                    while let (score, node) = candidates.pop() {
                        if let worst = results.peek(), results.count >= ef, score < worst.0 { break }
                        var count = 0
                        if layer == 0 {
                            let row = rows.baseAddress! + Int(node) * width
                            for slot in 0..<Int(row[0]) {
                                let neighbour = row[1 + slot]
                                guard visited.insert(neighbour) else { continue }
                                pending[count] = neighbour
                                count += 1
                                Prefetch.floats(v.baseAddress! + Int(neighbour) * dimension, count: dimension)
                            }
                        } else {
                            guard layer < layerCount(node) else { continue }
                            for neighbour in upper[Int(node)][layer - 1] where visited.insert(neighbour) {
                                pending[count] = neighbour
                                count += 1
                            }
                        }
                        for slot in 0..<count {
                            let neighbour = pending[slot]
                            let s = Dot.product(q.baseAddress!, v.baseAddress! + Int(neighbour) * dimension, dimension)
                            if results.count < ef || s > results.peek()!.0 {
                                candidates.push((s, neighbour))
                                results.push((s, neighbour))
                                if results.count > ef { _ = results.pop() }
                            }
                        }
                    }
                }
            }
        }
        return results.elements.sorted { $0.0 > $1.0 }
    }

    /// The `k` best live nodes passing `accept`, searched with `ef` (by default
    /// `Parameters.defaultEf` for the graph's size). The search widens (ef ×4)
    /// while fewer than `k` pass, and ends in an exact scan when the filter
    /// is so selective that the graph would have to be walked anyway.
    public func search(_ query: [Float], k: Int, ef: Int? = nil, accept: (VectorMeta) -> Bool) -> [(key: Int64, score: Float)] {
        guard entry >= 0, k > 0, query.count == dimension else { return [] }
        return query.withUnsafeBufferPointer { q in
            var ef = max(ef ?? parameters.defaultEf(nodes: nodeCount), k)
            while true {
                var nearest = entry
                var nearestScore = similarity(q, entry)
                for layer in stride(from: topLayer, to: 0, by: -1) {
                    (nearest, nearestScore) = greedy(q, from: nearest, score: nearestScore, layer: layer)
                }
                var visited = VisitedSet(count: keys.count)
                let found = searchLayer(q, entryPoints: [(nearestScore, nearest)], ef: ef, layer: 0, visited: &visited)
                let passing = found.filter { !deleted[Int($0.1)] && accept(metas[Int($0.1)]) }
                if passing.count >= k || found.count >= nodeCount {
                    return passing.prefix(k).map { (keys[Int($0.1)], $0.0) }
                }
                if ef * 4 >= nodeCount {
                    return exactScan(q, k: k, accept: accept)
                }
                ef *= 4
            }
        }
    }
}

/// Which nodes a layer search has reached.
protocol VisitTracking {
    /// Marks `node`; true when it was not marked before.
    mutating func insert(_ node: Int32) -> Bool
}

/// Visited marks kept from one search to the next: a bitset (one bit a node,
/// so it stays in cache) whose set words are remembered and cleared at the
/// next reset — a cost of the visits, not of the graph's size (inserts
/// search once per layer).
struct VisitedMarks: VisitTracking {
    private var words: [UInt64] = []
    private var dirty: [Int32] = []

    /// Forgets every mark; room for `count` nodes.
    mutating func reset(count: Int) {
        for word in dirty { words[Int(word)] = 0 }
        dirty.removeAll(keepingCapacity: true)
        let needed = (count + 63) / 64
        if words.count < needed { words.append(contentsOf: repeatElement(0, count: max(needed - words.count, words.count / 2))) }
    }

    @inline(__always)
    mutating func insert(_ node: Int32) -> Bool {
        let word = Int(node) >> 6, bit = UInt64(1) << UInt64(node & 63)
        let old = words[word]
        if old & bit != 0 { return false }
        if old == 0 { dirty.append(Int32(word)) }
        words[word] = old | bit
        return true
    }
}

/// Visited marks as a bitset, allocated for one search.
struct VisitedSet: VisitTracking {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    /// Marks `node`; true when it was not marked before.
    @inline(__always)
    mutating func insert(_ node: Int32) -> Bool {
        let word = Int(node) >> 6, bit = UInt64(1) << UInt64(node & 63)
        if words[word] & bit != 0 { return false }
        words[word] |= bit
        return true
    }
}

/// Cache-line prefetch hints.
enum Prefetch {
    /// Starts loading the `count` floats at `start`, a cache line at a time.
    @inline(__always)
    static func floats(_ start: UnsafePointer<Float>, count: Int) {
        var offset = 0
        while offset < count {
            memos_prefetch(start + offset)
            offset += 16
        }
    }
}

/// A binary heap of (score, node), best-first or worst-first.
struct Heap {
    private(set) var elements: [(Float, Int32)]
    let maxFirst: Bool

    init(_ items: [(Float, Int32)], maxFirst: Bool) {
        self.maxFirst = maxFirst
        elements = []
        for item in items { push(item) }
    }

    var count: Int { elements.count }
    func peek() -> (Float, Int32)? { elements.first }

    @inline(__always) func above(_ a: (Float, Int32), _ b: (Float, Int32)) -> Bool {
        maxFirst ? a.0 > b.0 : a.0 < b.0
    }

    mutating func push(_ item: (Float, Int32)) {
        elements.append(item)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard above(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Float, Int32)? {
        guard !elements.isEmpty else { return nil }
        let top = elements[0]
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < elements.count, above(elements[left], elements[best]) { best = left }
                if right < elements.count, above(elements[right], elements[best]) { best = right }
                if best == parent { break }
                elements.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}

/// Dot products, which graph building is mostly made of. Long vectors go to
/// BLAS (`sdot` picks AVX kernels at run time; Swift code here is compiled
/// for baseline x86-64, i.e. SSE); short ones stay in SIMD lanes (a scalar
/// loop cannot be vectorized: the additions may not be reordered).
enum Dot {
    @inline(__always)
    static func product(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        if n >= 128 { return BLAS.dot(x, y, n) }
        return lanes(x, y, n)
    }

    @inline(__always)
    static func lanes(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        while i + 16 <= n {
            acc0 += rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += rx.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += x[i] * y[i]
            i += 1
        }
        return sum
    }
}
