import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A memosd started for fuzzing: a temp data directory, the hashing
/// embedder, no background ticks or nightly run (so nothing but the frames
/// writes), a 1-second send timeout (so the never-reading client is cut
/// off quickly) and a 256 KiB frame limit (so oversize frames are cheap).
public final class FuzzDaemon {
    public let directory: String
    public let socket: String
    public var databasePath: String { directory + "/data/memos.db" }
    public static let sendTimeout = 1.0
    private let process = Process()

    public init(binary: String, extra: [String] = []) throws {
        directory = NSTemporaryDirectory() + "memos-fuzz-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socket = directory + "/memosd.sock"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--data-dir", directory + "/data", "--socket", socket, "--embedder", "hashing", "--log-level", "error",
            "--tick-seconds", "86400", "--consolidate-at", "off", "--send-timeout", String(Self.sendTimeout),
            "--idle-timeout", "120", "--max-frame-bytes", "262144",
        ] + extra
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while access(socket, F_OK) != 0 {
            guard process.isRunning, Date() < deadline else { throw FuzzDaemonError.didNotStart(binary) }
            usleep(20_000)
        }
    }

    deinit { stop() }

    public var isRunning: Bool { process.isRunning }

    /// Files a hostile client might name as `path` or `export_to`.
    public var sensitivePaths: [String] {
        [databasePath, databasePath + "-wal", directory + "/data", socket, directory + "/data/blobs/x", "/proc/self/mem"]
    }

    public func stop() {
        if process.processIdentifier != 0 && process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

public enum FuzzDaemonError: Error, CustomStringConvertible {
    case didNotStart(String)
    public var description: String {
        switch self {
        case .didNotStart(let binary): "\(binary) did not start (is it built? make fuzz builds it)"
        }
    }
}
