import Foundation
import MemCube
import MemStore

/// Saves and loads an `HNSWGraph` as one binary file with a checksum.
///
/// The snapshot is a cache, never a source of truth: `load` refuses a file
/// whose checksum, dimension or parameters do not match, and the caller
/// checks its live keys against the store and rebuilds when they differ.
/// Layout (little-endian): "MHNSW1\0\0", dimension, m, efConstruction,
/// efSearch, node count, entry, top layer, rng state; per node: key,
/// deleted, level count, per level the link count and links; then the
/// vectors; then an FNV-1a 64-bit checksum of everything before it.
public enum HNSWSnapshot {
    static let magic = Array("MHNSW1\0\0".utf8)

    public enum LoadError: Error, Equatable {
        case unreadable, badMagic, badChecksum, truncated, mismatch(String)
    }

    public static func save(_ graph: HNSWGraph, to path: String) throws {
        var out = [UInt8]()
        out.reserveCapacity(graph.vectors.count * 4 + graph.keys.count * (8 + 4 * 2 * graph.parameters.m) + 64)
        out += magic
        for value in [graph.dimension, graph.parameters.m, graph.parameters.efConstruction, graph.parameters.efSearch,
                      graph.keys.count, Int(graph.entry), graph.topLayer] {
            append(Int64(value), to: &out)
        }
        append(graph.rng.state, to: &out)
        for node in 0..<graph.keys.count {
            append(graph.keys[node], to: &out)
            out.append(graph.deleted[node] ? 1 : 0)
            let layers = graph.layerCount(Int32(node))
            append(Int32(layers), to: &out)
            for layer in 0..<layers {
                let neighbours = graph.neighbours(Int32(node), layer: layer)
                append(Int32(neighbours.count), to: &out)
                for neighbour in neighbours { append(neighbour, to: &out) }
            }
        }
        graph.vectors.withUnsafeBytes { out += $0 }
        var checksum = FNV1a()
        for byte in out { checksum.combine(byte) }
        append(checksum.value, to: &out)
        let temporary = path + ".tmp"
        try Data(out).write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, path)
    }

    /// The graph in `path`; metas come from `meta(key)` (nil for keys the
    /// store no longer has: such nodes must be tombstones).
    public static func load(
        from path: String, dimension: Int, parameters: HNSWGraph.Parameters, meta: (Int64) -> VectorMeta?
    ) throws -> HNSWGraph {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError.unreadable }
        let bytes = [UInt8](data)
        guard bytes.count > magic.count + 8, Array(bytes.prefix(magic.count)) == magic else { throw LoadError.badMagic }
        var checksum = FNV1a()
        for byte in bytes[0..<(bytes.count - 8)] { checksum.combine(byte) }
        var reader = Reader(bytes: bytes, offset: bytes.count - 8)
        guard try reader.u64() == checksum.value else { throw LoadError.badChecksum }
        reader = Reader(bytes: Array(bytes[0..<(bytes.count - 8)]), offset: magic.count)
        let header = try (0..<7).map { _ in try reader.i64() }
        guard Int(header[0]) == dimension, Int(header[1]) == parameters.m, Int(header[2]) == parameters.efConstruction else {
            throw LoadError.mismatch("dimension or parameters changed")
        }
        var graph = HNSWGraph(dimension: dimension, parameters: parameters)
        graph.rng = SplitMix64(seed: try reader.u64())
        let count = Int(header[4])
        guard count >= 0, count < 100_000_000 else { throw LoadError.truncated }
        for node in 0..<count {
            let key = try reader.i64()
            let isDeleted = try reader.u8() == 1
            let levels = Int(try reader.i32())
            guard (1...17).contains(levels) else { throw LoadError.truncated }
            graph.appendLinks(layers: levels)
            for layer in 0..<levels {
                let n = Int(try reader.i32())
                guard n >= 0, n <= graph.capacity(layer: layer) else { throw LoadError.truncated }
                let neighbours = try (0..<n).map { _ in try reader.i32() }
                guard neighbours.allSatisfy({ $0 >= 0 && Int($0) < count }) else { throw LoadError.truncated }
                graph.setNeighbours(Int32(node), layer: layer, neighbours)
            }
            let nodeMeta = meta(key)
            if !isDeleted && nodeMeta == nil { throw LoadError.mismatch("key \(key) is no longer in the store") }
            graph.keys.append(key)
            graph.deleted.append(isDeleted)
            graph.metas.append(nodeMeta ?? VectorMeta(tags: [], agent: nil, session: nil, time: Timestamp(millis: 0), expiresAt: nil))
            if isDeleted {
                graph.deletedCount += 1
            } else {
                graph.position[key] = Int32(node)
                graph.postings.add(Int32(node), graph.metas[node])
            }
        }
        let floats = count * dimension
        guard reader.remaining == floats * 4 else { throw LoadError.truncated }
        graph.vectors = [Float](unsafeUninitializedCapacity: floats) { buffer, initialized in
            reader.bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[reader.offset...]))
            }
            initialized = floats
        }
        graph.entry = Int32(header[5])
        graph.topLayer = Int(header[6])
        guard count == 0 || (graph.entry >= 0 && Int(graph.entry) < count) else { throw LoadError.truncated }
        return graph
    }

    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset: Int
        var remaining: Int { bytes.count - offset }

        mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { throw LoadError.truncated }
            var value: T = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + size)]) }
            offset += size
            return T(littleEndian: value)
        }

        mutating func i64() throws -> Int64 { try read(Int64.self) }
        mutating func u64() throws -> UInt64 { try read(UInt64.self) }
        mutating func i32() throws -> Int32 { try read(Int32.self) }
        mutating func u8() throws -> UInt8 { try read(UInt8.self) }
    }
}
