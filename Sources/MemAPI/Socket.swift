#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call: which call, and errno.
public struct SocketError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let path: String?

    public init(_ operation: String, code: Int32 = errno, path: String? = nil) {
        self.operation = operation
        self.code = code
        self.path = path
    }

    public var description: String {
        let reason = String(cString: strerror(code))
        return path.map { "\(operation) \($0): \(reason)" } ?? "\(operation): \(reason)"
    }
}

/// The client-side socket calls, through `Syscall` (EINTR retried, errno
/// captured); sends use MSG_NOSIGNAL (a vanished peer must not raise SIGPIPE).
public enum SocketIO {
    /// Fills a `sockaddr_un` for `path`; fails when the path is too long.
    public static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw SocketError("socket path longer than \(capacity - 1) bytes", code: ENAMETOOLONG, path: path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// Connects a new stream socket to the Unix socket at `path`.
    public static func connect(path: String) throws -> Int32 {
        var address = try address(path)
        let fd = try Syscall.run("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do {
            try Syscall.run("connect", path: path) {
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }  // nothing to write
        var offset = 0
        while offset < bytes.count {
            offset += try Syscall.run("send") { send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0) }
    }

    /// The process on the other end of a Unix socket (SO_PEERCRED, with
    /// `struct ucred` mirrored: Glibc hides it from Swift); nil when it cannot be read.
    public static func peer(_ fd: Int32) -> (pid: Int32, uid: UInt32, gid: UInt32)? {
        struct UCred {
            var pid: Int32 = 0
            var uid: UInt32 = 0
            var gid: UInt32 = 0
        }
        var cred = UCred()
        var length = socklen_t(MemoryLayout<UCred>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else { return nil }
        return (cred.pid, cred.uid, cred.gid)
    }

    /// Sets SO_RCVTIMEO or SO_SNDTIMEO: a blocking recv or send on `fd` then
    /// fails with EAGAIN after `seconds` without progress.
    public static func setTimeout(_ fd: Int32, _ option: Int32, seconds: Double) throws {
        let whole = seconds.rounded(.down)
        var value = timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
        try Syscall.run("setsockopt") { setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) }
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

/// Reads newline-delimited frames from a socket, never holding more than
/// `maxFrameBytes` of one frame in memory.
///
/// A longer frame is skipped up to its newline and reported as `.tooLong`,
/// so a client cannot make the reader buffer an unbounded line.
public struct LineReader {
    public enum Frame: Equatable {
        case line([UInt8])
        /// A frame over the limit; its bytes were discarded.
        case tooLong
        case end
    }

    let fd: Int32
    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var skipping = false
    private var ended = false
    /// Where the newline search resumes: bytes before it hold no newline.
    private var scanned = 0

    public init(fd: Int32, maxFrameBytes: Int) {
        self.fd = fd
        self.maxFrameBytes = maxFrameBytes
    }

    /// The next frame (without its newline); blocks until one is complete.
    public mutating func next() throws -> Frame {
        while true {
            if let newline = buffer[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                let wasSkipping = skipping
                skipping = false
                let line = Array(buffer[start..<newline])
                start = newline + 1
                scanned = start
                compact()
                if wasSkipping { return .tooLong }
                if line.count > maxFrameBytes { return .tooLong }
                return .line(line)
            }
            if buffer.count - start > maxFrameBytes {
                // Over the limit with no newline yet: drop what we have, keep skipping.
                buffer.removeAll(keepingCapacity: true)
                start = 0
                scanned = 0
                skipping = true
            }
            if ended {
                let rest = Array(buffer[start...])
                buffer.removeAll()
                start = 0
                scanned = 0
                if skipping {
                    skipping = false
                    return .tooLong
                }
                return rest.isEmpty ? .end : .line(rest)
            }
            let fd = fd
            let received = chunk.withUnsafeMutableBytes { raw in Syscall.result("recv") { recv(fd, raw.baseAddress, raw.count, 0) } }
            let n: Int
            switch received {
            case .success(let count): n = count
            case .failure(let error) where error.code == ECONNRESET:
                ended = true
                continue
            case .failure(let error): throw error
            }
            if n == 0 {
                ended = true
            } else {
                scanned = buffer.count
                buffer.append(contentsOf: chunk[0..<n])
            }
        }
    }

    private mutating func compact() {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
            scanned = 0
        }
    }
}
