/// A rejected value: which field, and a sentence saying what is wrong.
///
/// `field` is a JSON path relative to the request's params
/// (`items[3].importance`), so clients can point at the offending input.
public struct ValidationError: Error, Sendable, Hashable {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// Size limits on what a client may store; each breach is a `ValidationError`.
public struct Limits: Sendable, Hashable {
    public var maxTextBytes = 64 * 1024
    public var maxTags = 64
    public var maxTagBytes = 128
    public var maxNameBytes = 128
    public var maxAttributesBytes = 16 * 1024
    public var maxBatchItems = 1000
    public var maxK = 1000
    public var maxListLimit = 1000
    /// The longest TTL: 100 years (longer is no TTL at all; say 0 or leave it out).
    public var maxTTLSeconds: Double = 100 * 365.25 * 86_400
    /// The largest per-signal recall weight and fuse weight (in magnitude).
    public var maxWeight: Double = 1000
    /// The largest payload memory.add takes (`--max-payload-mb`).
    public var maxPayloadBytes: Int64 = 1 << 30
    /// The largest payload memory.get returns inline (`include_data`); bigger ones go through `export_to`.
    public var maxInlinePayloadBytes = 16 << 20

    public init() {}

    /// Namespaces, agents and sessions: 1...maxNameBytes bytes of letters,
    /// digits and `._:@/-`, so they are safe in paths, logs and shells.
    /// A speaker: a person's name as people write it ("Dana", "Dr. Lee") or
    /// a role: 1 to `maxNameBytes` bytes, no control characters, not blank.
    public func checkSpeaker(_ value: String, field: String) throws(ValidationError) {
        guard !value.allSatisfy(\.isWhitespace) else { throw ValidationError(field: field, "must not be empty") }
        guard value.utf8.count <= maxNameBytes else { throw ValidationError(field: field, "is longer than \(maxNameBytes) bytes") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError(field: field, "must not hold control characters")
        }
    }

    public func checkName(_ value: String, field: String) throws(ValidationError) {
        if value.isEmpty {
            throw ValidationError(field: field, "must not be empty")
        }
        if value.utf8.count > maxNameBytes {
            throw ValidationError(field: field, "is longer than \(maxNameBytes) bytes")
        }
        let allowed: (UInt8) -> Bool = { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ":") || b == UInt8(ascii: "@") || b == UInt8(ascii: "/")
        }
        if !value.utf8.allSatisfy(allowed) {
            throw ValidationError(
                field: field, "may contain only letters, digits and . _ - : @ / (got '\(value)')")
        }
    }

    public func checkText(_ value: String, field: String) throws(ValidationError) {
        if value.allSatisfy(\.isWhitespace) {
            throw ValidationError(field: field, "must not be empty")
        }
        if value.utf8.count > maxTextBytes {
            throw ValidationError(
                field: field, "is \(value.utf8.count) bytes; the limit is \(maxTextBytes) bytes")
        }
    }

    public func checkTags(_ tags: [String], field: String) throws(ValidationError) {
        if tags.count > maxTags {
            throw ValidationError(field: field, "has \(tags.count) tags; the limit is \(maxTags)")
        }
        for (i, tag) in tags.enumerated() {
            if tag.isEmpty || tag.allSatisfy(\.isWhitespace) {
                throw ValidationError(field: "\(field)[\(i)]", "must not be empty")
            }
            if tag.utf8.count > maxTagBytes {
                throw ValidationError(field: "\(field)[\(i)]", "is longer than \(maxTagBytes) bytes")
            }
        }
    }

    /// A TTL in seconds: finite, above 0 (or exactly 0 where `zeroClears`,
    /// meaning "remove the TTL"), at most `maxTTLSeconds`.
    public func checkTTL(_ value: Double, field: String, zeroClears: Bool) throws(ValidationError) {
        let lower = zeroClears ? "0 (no TTL) or a number of seconds above 0" : "a number of seconds above 0"
        guard value.isFinite, value > 0 || (zeroClears && value == 0), value <= maxTTLSeconds else {
            throw ValidationError(field: field, "must be \(lower), at most \(Int(maxTTLSeconds)) (100 years) (got \(Limits.show(value)))")
        }
    }

    /// A number as a person writes it: 3, 2.5, 1e+16.
    public static func show(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public func checkImportance(_ value: Double, field: String) throws(ValidationError) {
        if !(0...1).contains(value) {
            throw ValidationError(field: field, "must be between 0 and 1 (got \(Limits.show(value)))")
        }
    }
}
