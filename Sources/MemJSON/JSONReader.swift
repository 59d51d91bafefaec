/// Parses JSON text (RFC 8259) straight into a `JSONValue`, in one pass over
/// the bytes.
///
/// It reads what Foundation's `JSONDecoder` made of a request before (the
/// daemon used to go frame → JSONDecoder → JSONValue, trying each type in
/// turn): a number without a fraction or exponent that fits in Int64 is
/// `.int`, and so is any other number whose value is a whole number within
/// Int64 ("1.0", "1e2"); the rest are `.double`; a number too large for a
/// Double is an error; the first of duplicate keys wins; a comma before the
/// closing bracket or brace is tolerated (as JSONDecoder tolerates it, and
/// hand-written requests from shell scripts have them). Strings must be
/// valid UTF-8 with no raw control characters and no lone surrogates.
/// Nesting deeper than `maxDepth` is an error, so a hostile request cannot
/// exhaust the stack.
public struct JSONReader {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// Byte offset where the text stopped being valid JSON.
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    public static let maxDepth = 512

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var result: Result<JSONValue, Failure> = .failure(Failure(offset: 0, reason: "empty input"))
        bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            do throws(Failure) {
                reader.skipSpace()
                let value = try reader.value(depth: 0)
                reader.skipSpace()
                guard reader.position == buffer.count else { throw reader.failure("unexpected text after the value") }
                result = .success(value)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func failure(_ reason: String) -> Failure {
        Failure(offset: position, reason: reason)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard let byte = current else { throw failure("the text ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("unexpected end of text") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
            throw failure("unexpected character")
        }
        position += count
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        position += 1  // {
        var object: [String: JSONValue] = [:]
        skipSpace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            guard current == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes") }
            let key = try string()
            skipSpace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            position += 1
            skipSpace()
            let item = try value(depth: depth)
            if object[key] == nil { object[key] = item }  // the first of duplicate keys wins
            if try closes(UInt8(ascii: "}"), in: "an object") { return .object(object) }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        position += 1  // [
        var array: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(array)
        }
        while true {
            array.append(try value(depth: depth))
            if try closes(UInt8(ascii: "]"), in: "an array") { return .array(array) }
        }
    }

    /// After an element of an array or object: true when `close` ends the
    /// container (directly or after a trailing comma), false after a comma
    /// with another element to come.
    private mutating func closes(_ close: UInt8, in container: String) throws(Failure) -> Bool {
        skipSpace()
        switch current {
        case UInt8(ascii: ","):
            position += 1
            skipSpace()
            guard current == close else { return false }
            position += 1  // a trailing comma
            return true
        case close:
            position += 1
            return true
        default:
            throw failure("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
        }
    }

    private mutating func string() throws(Failure) -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: no escapes, all ASCII.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte >= 0x80 || byte < 0x20 { break }
            position += 1
        }
        // General case: escapes and multi-byte characters.
        var out: [UInt8] = Array(bytes[start..<position])
        while true {
            guard position < bytes.count else { throw failure("a string is not closed") }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw Failure(offset: start, reason: "a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw failure("a string is not closed") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("a \\u escape holds half of a surrogate pair")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("a \\u escape holds half of a surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw failure("a \\u escape holds half of a surrogate pair")
                    }
                    out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
                default:
                    throw failure("unknown escape in a string")
                }
            default:
                guard byte >= 0x20 else { throw failure("a control character must be escaped in a string") }
                out.append(byte)
                position += 1
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = position
        var integral = true
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw failure("a number needs a digit")
        }
        if first == UInt8(ascii: "0") {
            position += 1
        } else {
            skipDigits()
        }
        if current == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard skipDigits() > 0 else { throw failure("a number needs a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw failure("a number needs a digit in its exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let int = Int64(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else {
            throw Failure(offset: start, reason: "a number is too large")
        }
        if let int = Int64(exactly: double) { return .int(int) }
        return .double(double)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
        return position - start
    }
}
