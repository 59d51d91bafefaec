#if canImport(Glibc)
import Glibc
#endif
import MemCube

/// A small structured logger: one line per event on stderr,
/// `time level message key=value...`. A value passed down, never a global.
///
/// Messages are constant strings; details go in metadata. Memory content is
/// never logged above debug level.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        public init?(name: String) {
            switch name {
            case "debug": self = .debug
            case "info": self = .info
            case "warning": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        var name: String { ["debug", "info", "warning", "error"][rawValue] }
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public var level: Level

    public init(level: Level = .info) {
        self.level = level
    }

    public func log(_ level: Level, _ message: String, _ metadata: [(String, String)] = []) {
        guard level >= self.level else { return }
        var line = "\(Timestamp.now().iso8601) \(level.name) \(message)"
        for (key, value) in metadata {
            line += " \(key)=\(Self.quoted(value))"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = write(2, base + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// A value as it appears after `key=`: bare when it is plain, else in
    /// double quotes with `"`, `\\` and control characters escaped (`\\n`,
    /// `\\u001b`), so that one event is always one line whatever a client sent.
    static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { s in
            s.value > 0x20 && s.value != 0x7f && s != "\"" && s != "\\" && s != "=" && !(0x80...0x9f).contains(s.value)
                && s.properties.generalCategory != .lineSeparator && s.properties.generalCategory != .paragraphSeparator
        }
        if plain { return value }
        var out = "\""
        for s in value.unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if s.value < 0x20 || s.value == 0x7f || (0x80...0x9f).contains(s.value) || s.value == 0x2028 || s.value == 0x2029 {
                    let hex = String(s.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out + "\""
    }

    public func debug(_ message: String, _ metadata: [(String, String)] = []) { log(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [(String, String)] = []) { log(.info, message, metadata) }
    public func warning(_ message: String, _ metadata: [(String, String)] = []) { log(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [(String, String)] = []) { log(.error, message, metadata) }
}
