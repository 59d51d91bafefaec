/// Decodes a `Decodable` type straight from a `JSONValue`, without writing
/// the value back to text for `JSONDecoder` to parse again.
///
/// Errors are the `DecodingError`s `JSONDecoder` throws, with the same
/// coding paths (array elements as "Index N"), so callers that turn them
/// into messages naming the field need no change. Numbers convert as
/// `JSONDecoder` converts them: an integer type takes a whole number that
/// fits, a floating-point type takes any number.
///
/// With `rejectUnknownKeys`, a nested object decoded with coding keys that
/// are `CaseIterable` (the wire's params types declare theirs so) may hold
/// only those keys: any other key is a `dataCorrupted` error at its path
/// ("filter.tgas is not a known field (did you mean 'tags'?)"). The
/// top-level object is left to the caller, which knows the method's keys.
public struct JSONValueDecoder: Sendable {
    public var rejectUnknownKeys: Bool

    public init(rejectUnknownKeys: Bool = false) { self.rejectUnknownKeys = rejectUnknownKeys }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try Node(value: value, codingPath: [], strict: rejectUnknownKeys).decode(T.self)
    }
}

/// The names of a CaseIterable coding-key type (opened from an existential).
private func caseNames<K: CodingKey & CaseIterable>(_ type: K.Type) -> Set<String> {
    Set(K.allCases.map(\.stringValue))
}

/// " (did you mean 'tags'?)" for a key within two edits of a known one, else "".
public enum KeySuggestion {
    public static func text(_ key: String, _ allowed: Set<String>) -> String {
        let best = allowed.map { ($0, editDistance(key, $0)) }.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        guard let best, best.1 <= 2 else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    /// Levenshtein distance over characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A coding key for array elements and free-form object keys.
struct JSONKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

/// One value being decoded and where it sits.
private struct Node: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let strict: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let object):
            if strict, !codingPath.isEmpty, let iterable = Key.self as? any (CodingKey & CaseIterable).Type {
                let known = caseNames(iterable)
                if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                    throw DecodingError.dataCorrupted(DecodingError.Context(
                        codingPath: codingPath + [JSONKey(stringValue: unknown)],
                        debugDescription: "is not a known field\(KeySuggestion.text(unknown, known))"))
                }
            }
            return KeyedDecodingContainer(Keyed<Key>(object: object, codingPath: codingPath, strict: strict))
        case .null:
            throw DecodingError.valueNotFound([String: Any].self, DecodingError.Context(
                codingPath: codingPath, debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        default:
            throw mismatch([String: Any].self, "a dictionary")
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let array):
            return Unkeyed(array: array, codingPath: codingPath, strict: strict)
        case .null:
            throw DecodingError.valueNotFound([Any].self, DecodingError.Context(
                codingPath: codingPath, debugDescription: "Cannot get unkeyed decoding container -- found null value instead"))
        default:
            throw mismatch([Any].self, "an array")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        if case .bool(let b) = value { return b }
        throw wrong(Bool.self, "a boolean")
    }

    func decode(_ type: String.Type) throws -> String {
        if case .string(let s) = value { return s }
        throw wrong(String.self, "a string")
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw wrong(Double.self, "a number")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // JSON values and free-form objects are already what the caller wants.
        if T.self == JSONValue.self { return value as! T }
        if T.self == [String: JSONValue].self, case .object(let object) = value { return object as! T }
        if T.self == String.self { return try decode(String.self) as! T }
        if T.self == Int.self { return try decode(Int.self) as! T }
        if T.self == Double.self { return try decode(Double.self) as! T }
        if T.self == Bool.self { return try decode(Bool.self) as! T }
        return try T(from: self)
    }

    /// A whole number that fits in `T`. The out-of-range error's description
    /// reads as the end of a sentence naming the field ("params.k must be ...").
    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let fitting: T?
        let shown: String
        switch value {
        case .int(let i):
            fitting = T(exactly: i)
            shown = "\(i)"
        case .double(let d):
            guard d.rounded() == d else { throw mismatch(T.self, "an integer") }
            fitting = T(exactly: d)
            shown = "\(d)"
        default:
            throw wrong(T.self, "a number")
        }
        guard let fitting else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath, debugDescription: "must be an integer from \(T.min) to \(T.max) (got \(shown))"))
        }
        return fitting
    }

    /// The error for a value of the wrong JSON type (or null).
    private func wrong(_ type: Any.Type, _ expected: String) -> DecodingError {
        if value == .null {
            return DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: codingPath, debugDescription: "Expected \(type) value but found null instead."))
        }
        return mismatch(type, expected)
    }

    private func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        DecodingError.typeMismatch(type, DecodingError.Context(
            codingPath: codingPath, debugDescription: "Expected to decode \(expected) but found \(value.typeName) instead."))
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let codingPath: [any CodingKey]
    let strict: Bool

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func node(_ key: Key) throws -> Node {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return Node(value: value, codingPath: codingPath + [key], strict: strict)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try node(key).decodeNil() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try node(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try node(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try node(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try node(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try node(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try node(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try node(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try node(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try node(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try node(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try node(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try node(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try node(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try node(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try node(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try node(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try node(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        Node(value: object["super"] ?? .null, codingPath: codingPath + [JSONKey(stringValue: "super")], strict: strict)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        Node(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key], strict: strict)
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let codingPath: [any CodingKey]
    let strict: Bool
    private(set) var currentIndex = 0

    init(array: [JSONValue], codingPath: [any CodingKey], strict: Bool) {
        self.array = array
        self.codingPath = codingPath
        self.strict = strict
    }

    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    private mutating func next<T>(_ type: T.Type) throws -> Node {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: codingPath + [JSONKey(intValue: currentIndex)], debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return Node(value: array[currentIndex], codingPath: codingPath + [JSONKey(intValue: currentIndex)], strict: strict)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if array[currentIndex] == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // On failure the index stays put, as in JSONDecoder.
        let index = currentIndex
        do { return try next(type).decode(type) } catch {
            currentIndex = index
            throw error
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next(KeyedDecodingContainer<NestedKey>.self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([Any].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try next(JSONValue.self)
    }
}
