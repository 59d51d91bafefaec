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
            let quoted = value.contains(" ") || value.isEmpty ? "\"\(value)\"" : value
            line += " \(key)=\(quoted)"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    public func debug(_ message: String, _ metadata: [(String, String)] = []) { log(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [(String, String)] = []) { log(.info, message, metadata) }
    public func warning(_ message: String, _ metadata: [(String, String)] = []) { log(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [(String, String)] = []) { log(.error, message, metadata) }
}
