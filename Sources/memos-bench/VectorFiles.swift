import Foundation

/// The fvecs / ivecs files of ANN benchmarks (the BIGANN / TEXMEX format):
/// each vector is a little-endian Int32 dimension followed by that many
/// little-endian Float32 (fvecs) or Int32 (ivecs) values; every vector of a
/// file has the same dimension. Read whole into memory (benchmark inputs).
enum VectorFiles {
    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    /// The largest dimension accepted: anything above is a damaged or foreign file.
    static let maxDimension = 65_536

    /// Rows of `path`, flattened: (dimension, count, values), values row after row.
    static func read<T>(_ path: String, as: T.Type) throws -> (dimension: Int, count: Int, values: [T]) where T: FixedWidthInteger & Sendable {
        let (dimension, count, words) = try rows(path)
        return (dimension, count, words.map { T(truncatingIfNeeded: Int32(bitPattern: $0)) })
    }

    static func readFloats(_ path: String) throws -> (dimension: Int, count: Int, values: [Float]) {
        let (dimension, count, words) = try rows(path)
        return (dimension, count, words.map { Float(bitPattern: $0) })
    }

    /// The 32-bit words of every row (dimension headers dropped), checked.
    private static func rows(_ path: String) throws -> (Int, Int, [UInt32]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(description: "\(path): cannot be read")
        }
        guard data.count >= 4, data.count % 4 == 0 else {
            throw FormatError(description: "\(path): \(data.count) bytes is not a whole number of 4-byte values")
        }
        var words = [UInt32](repeating: 0, count: data.count / 4)
        _ = words.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        for i in words.indices { words[i] = UInt32(littleEndian: words[i]) }
        let dimension = Int(Int32(bitPattern: words[0]))
        guard dimension > 0, dimension <= maxDimension else {
            throw FormatError(description: "\(path): the first vector's dimension is \(dimension); expected 1...\(maxDimension)")
        }
        let stride = dimension + 1
        guard words.count % stride == 0 else {
            throw FormatError(description: "\(path): \(data.count) bytes is not a whole number of \(dimension)-dimensional vectors")
        }
        let count = words.count / stride
        var values: [UInt32] = []
        values.reserveCapacity(count * dimension)
        for row in 0..<count {
            let header = Int(Int32(bitPattern: words[row * stride]))
            guard header == dimension else {
                throw FormatError(description: "\(path): vector \(row) has dimension \(header), the first \(dimension)")
            }
            values.append(contentsOf: words[(row * stride + 1)..<((row + 1) * stride)])
        }
        return (dimension, count, values)
    }

    static func write(floats values: [Float], dimension: Int, to path: String) throws {
        try write(values.map(\.bitPattern), dimension: dimension, to: path)
    }

    static func write(integers values: [Int32], dimension: Int, to path: String) throws {
        try write(values.map { UInt32(bitPattern: $0) }, dimension: dimension, to: path)
    }

    private static func write(_ words: [UInt32], dimension: Int, to path: String) throws {
        precondition(dimension > 0 && words.count % dimension == 0, "rows of \(dimension) values")
        var out: [UInt32] = []
        out.reserveCapacity(words.count / dimension * (dimension + 1))
        for row in stride(from: 0, to: words.count, by: dimension) {
            out.append(UInt32(dimension).littleEndian)
            out.append(contentsOf: words[row..<(row + dimension)].map(\.littleEndian))
        }
        try out.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
    }
}
