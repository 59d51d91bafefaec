/// A sortable unique identifier for a cube: a ULID (48-bit millisecond time,
/// 80 random bits) in Crockford base32, 26 characters.
///
/// The id is stable across versions of a cube. Ids created later sort later
/// (to the millisecond), so listing by id is listing by creation time.
public struct CubeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Accepts a 26-character Crockford base32 string (case-insensitive);
    /// returns nil for anything else.
    public init?(_ text: String) {
        let upper = text.uppercased()
        guard upper.utf8.count == 26,
              upper.utf8.allSatisfy({ CubeID.alphabet.contains($0) }),
              let first = upper.utf8.first, first <= UInt8(ascii: "7")
        else { return nil }
        rawValue = upper
    }

    /// A new id for the given time (milliseconds since the Unix epoch).
    public static func generate(at millis: Int64 = Timestamp.now().millis) -> CubeID {
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        let time = UInt64(max(0, millis))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: time >> (8 * (5 - i))) }
        // 80 random bits from two draws (each draw is a getrandom call).
        let random = (rng.next() as UInt64, rng.next() as UInt64)
        for i in 6..<14 { bytes[i] = UInt8(truncatingIfNeeded: random.0 >> (8 * (i - 6))) }
        for i in 14..<16 { bytes[i] = UInt8(truncatingIfNeeded: random.1 >> (8 * (i - 14))) }
        return CubeID(encoding: bytes)
    }

    private init(encoding bytes: [UInt8]) {
        // 128 bits -> 26 symbols of 5 bits (the first symbol carries 3 bits).
        var high = UInt64(0), low = UInt64(0)
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
        var out = [UInt8](repeating: 0, count: 26)
        for i in (0..<26).reversed() {
            out[i] = CubeID.alphabet[Int(low & 31)]
            low = low >> 5 | (high & 31) << 59
            high >>= 5
        }
        rawValue = String(decoding: out, as: UTF8.self)
    }

    public var description: String { rawValue }
    public static func < (a: CubeID, b: CubeID) -> Bool { a.rawValue < b.rawValue }
}

extension CubeID: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = CubeID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a memory id (26 characters of Crockford base32)")
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
