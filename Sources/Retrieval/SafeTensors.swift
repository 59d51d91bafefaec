import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a safetensors file cannot be used; each case says what is wrong where.
public enum SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, detail: String)
    case badHeader(path: String, detail: String)
    case badTensor(path: String, name: String, detail: String)
    case missingTensor(path: String, name: String)
    case unexpectedShape(path: String, name: String, expected: [Int], found: [Int])
    case unexpectedType(path: String, name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .truncated(let path, let detail): "\(path) is truncated: \(detail)"
        case .badHeader(let path, let detail): "\(path) has a malformed safetensors header: \(detail)"
        case .badTensor(let path, let name, let detail): "tensor \(name) in \(path) is invalid: \(detail)"
        case .missingTensor(let path, let name): "\(path) has no tensor named \(name)"
        case .unexpectedShape(let path, let name, let expected, let found):
            "tensor \(name) in \(path) has shape \(found), expected \(expected)"
        case .unexpectedType(let path, let name, let expected, let found):
            "tensor \(name) in \(path) is \(found), expected \(expected)"
        }
    }
}

/// A safetensors file, memory-mapped read-only, with its header validated:
/// known dtypes, non-negative shapes, byte sizes that match the shapes, and
/// data offsets inside the file that neither overlap nor leave gaps.
///
/// Format: 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the data; offsets are relative to the end of the header.
public final class SafeTensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and never changes after init.
    public struct Tensor: Sendable, Hashable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the data section.
        public var begin: Int
        public var end: Int
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "U16": 2,
        "U32": 4, "U64": 8, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    public let path: String
    /// How errors name the file: the client's own name for it, not the blob path.
    public let name: String
    public let tensors: [String: Tensor]
    public let metadata: [String: String]
    private let base: UnsafeRawPointer
    private let mappedBytes: Int
    private let dataStart: Int

    /// The largest dimension of a shape (2^31 - 1): larger is refused before any arithmetic.
    public static let maxDimension = Int(Int32.max)

    public init(path: String, name: String? = nil) throws {
        self.path = path
        self.name = name ?? path
        let path = self.name
        let fd = open(self.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw SafeTensorsError.truncated(path: path, detail: "\(size) bytes, not even a header length") }
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapping)
        mappedBytes = size
        do {
            (tensors, metadata, dataStart) = try Self.parseHeader(base, size: size, path: path)
        } catch {
            munmap(mapping, size)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedBytes) }

    static func parseHeader(_ base: UnsafeRawPointer, size: Int, path: String) throws -> ([String: Tensor], [String: String], Int) {
        var headerLength: UInt64 = 0
        memcpy(&headerLength, base, 8)
        let length = UInt64(littleEndian: headerLength)
        guard length <= UInt64(size - 8), length <= 100_000_000 else {
            throw SafeTensorsError.truncated(path: path, detail: "the header claims \(length) bytes but the file has \(size - 8) after the length")
        }
        let headerBytes = Data(bytes: base + 8, count: Int(length))
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw SafeTensorsError.badHeader(path: path, detail: "the header is not a JSON object")
        }
        let dataStart = 8 + Int(length)
        let dataSize = size - dataStart
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else {
                    throw SafeTensorsError.badHeader(path: path, detail: "__metadata__ is not an object")
                }
                for (key, text) in entries {
                    guard let text = text as? String else {
                        throw SafeTensorsError.badHeader(path: path, detail: "__metadata__.\(key) is not a string (safetensors metadata maps strings to strings)")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any], let offsets = entry["data_offsets"] as? [Any], offsets.count == 2
            else { throw SafeTensorsError.badTensor(path: path, name: name, detail: "needs dtype, shape and two data_offsets") }
            guard let elementSize = dtypeSizes[dtype] else {
                throw SafeTensorsError.badTensor(path: path, name: name, detail: "unknown dtype \(dtype)")
            }
            guard shapeValues.count <= 16 else {
                throw SafeTensorsError.badTensor(path: path, name: name, detail: "has \(shapeValues.count) dimensions; at most 16 are read")
            }
            let shape = try shapeValues.map { value -> Int in
                guard let n = wholeNumber(value), n >= 0, n <= maxDimension else {
                    throw SafeTensorsError.badTensor(
                        path: path, name: name, detail: "shape \(shapeText(shapeValues)) needs whole dimensions from 0 to \(maxDimension)")
                }
                return n
            }
            guard let begin = wholeNumber(offsets[0]), let end = wholeNumber(offsets[1]), begin >= 0, end >= begin else {
                throw SafeTensorsError.badTensor(path: path, name: name, detail: "data_offsets \(shapeText(offsets)) are not an increasing pair of byte offsets")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: elementSize)
            guard !overflow, !bytesOverflow, end - begin == bytes else {
                let needs = overflow || bytesOverflow ? "more than the file can hold" : "\(bytes)"
                throw SafeTensorsError.badTensor(
                    path: path, name: name, detail: "\(end - begin) bytes for shape \(shape) of \(dtype) (needs \(needs))")
            }
            guard end <= dataSize else {
                throw SafeTensorsError.truncated(path: path, detail: "tensor \(name) ends at byte \(end) of a \(dataSize)-byte data section")
            }
            tensors[name] = Tensor(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
        }
        // The data section is exactly covered: no overlaps, no holes.
        var cursor = 0
        for tensor in tensors.values.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard tensor.begin == cursor else {
                throw SafeTensorsError.badHeader(
                    path: path, detail: tensor.begin < cursor ? "tensor \(tensor.name) overlaps the one before it" : "a gap before tensor \(tensor.name)")
            }
            cursor = tensor.end
        }
        return (tensors, metadata, dataStart)
    }

    /// A JSON number that is a whole number Int can hold (not 2.5, not 1e300), else nil.
    private static func wholeNumber(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 9.0e18 else { return nil }
        return Int(exactly: double)
    }

    /// `[2, 3]`, for messages (never Swift's debug form of header values).
    private static func shapeText(_ values: [Any]) -> String {
        "[" + values.map { value in
            if let n = value as? NSNumber { return n.stringValue }
            if let s = value as? String { return "\"\(s)\"" }
            return "?"
        }.joined(separator: ", ") + "]"
    }

    /// The raw bytes of a tensor (valid while this file object lives).
    public func bytes(of name: String) throws -> UnsafeRawBufferPointer {
        guard let tensor = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        return UnsafeRawBufferPointer(start: base + dataStart + tensor.begin, count: tensor.end - tensor.begin)
    }

    /// A copy of an F32 tensor, checked against the expected shape.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let tensor = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        guard tensor.dtype == "F32" else {
            throw SafeTensorsError.unexpectedType(path: path, name: name, expected: "F32", found: tensor.dtype)
        }
        guard tensor.shape == shape else {
            throw SafeTensorsError.unexpectedShape(path: path, name: name, expected: shape, found: tensor.shape)
        }
        let raw = try bytes(of: name)
        return [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            // memcpy: the data may not be 4-byte aligned in the mapping. Little-endian host assumed (x86-64, arm64).
            if let target = buffer.baseAddress, let source = raw.baseAddress, raw.count > 0 { memcpy(target, source, raw.count) }
            initialized = tensor.elementCount
        }
    }
}

extension SafeTensorsFile {
    /// A tensor's values as Float, converted from F32, F16 or BF16.
    public func values(_ name: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        let raw = try bytes(of: name)
        let count = tensor.elementCount
        switch tensor.dtype {
        case "F32":
            return try floats(name, shape: tensor.shape)
        case "BF16":
            return (0..<count).map { i in
                let bits = UInt32(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian) << 16
                return Float(bitPattern: bits)
            }
        case "F16":
            return (0..<count).map { i in HalfFloat.float(raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian) }
        default:
            throw SafeTensorsError.unexpectedType(path: path, name: name, expected: "F32, F16 or BF16", found: tensor.dtype)
        }
    }
}

/// IEEE 754 half precision to single (Float16 is not available on every
/// Linux toolchain target, and this is all memos needs of it).
enum HalfFloat {
    static func float(_ bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1f)
        let mantissa = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}

/// Builds a safetensors file: tensors laid out in name order, header JSON
/// with sorted keys, padded with spaces to a multiple of 8 bytes.
public struct SafeTensorsWriter {
    private var entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])] = []
    public var metadata: [String: String] = [:]

    public init() {}

    public mutating func add(_ name: String, dtype: String, shape: [Int], bytes: [UInt8]) {
        entries.append((name, dtype, shape, bytes))
    }

    public mutating func add(_ name: String, shape: [Int], floats: [Float]) {
        let bytes = floats.withUnsafeBytes { [UInt8]($0) }  // little-endian host
        add(name, dtype: "F32", shape: shape, bytes: bytes)
    }

    public func bytes() -> [UInt8] {
        var header: [String: Any] = [:]
        var data: [UInt8] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let begin = data.count
            data += entry.bytes
            header[entry.name] = ["dtype": entry.dtype, "shape": entry.shape, "data_offsets": [begin, data.count]] as [String: Any]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).map { [UInt8]($0) } ?? [UInt8]("{}".utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        return out + json + data
    }
}
