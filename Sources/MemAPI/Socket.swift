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

    /// At most this many descriptors travel with one frame.
    public static let maxPassedFiles = 16

    /// `struct cmsghdr` is 16 bytes on 64-bit Linux and its data 8-aligned;
    /// Glibc's CMSG_* macros do not reach Swift, so the layout is spelled here.
    static let cmsgHeaderBytes = 16
    static func cmsgSpace(_ dataBytes: Int) -> Int { cmsgHeaderBytes + (dataBytes + 7) & ~7 }

    /// Writes every byte, the first chunk carrying `files` (SCM_RIGHTS): the
    /// other end receives its own descriptors for the same open files.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], passing files: [Int32]) throws {
        guard !files.isEmpty, !bytes.isEmpty else { return try writeAll(fd, bytes) }
        precondition(files.count <= maxPassedFiles, "at most \(maxPassedFiles) descriptors per frame")
        let dataBytes = files.count * MemoryLayout<Int32>.size
        var control = [UInt8](repeating: 0, count: cmsgSpace(dataBytes))
        control.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: cmsgHeaderBytes + dataBytes, toByteOffset: 0, as: Int.self)  // cmsg_len
            raw.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
            raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: 12, as: Int32.self)
            for (i, file) in files.enumerated() { raw.storeBytes(of: file, toByteOffset: cmsgHeaderBytes + 4 * i, as: Int32.self) }
        }
        let sent = try bytes.withUnsafeBytes { data in
            try control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: data.baseAddress), iov_len: data.count)
                return try withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return try Syscall.run("sendmsg") { sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        if sent < bytes.count { try writeAll(fd, Array(bytes[sent...])) }
    }

    /// Receives into `buffer`; descriptors passed with the bytes (SCM_RIGHTS,
    /// close-on-exec) are appended to `files`. More than `maxPassedFiles` are
    /// dropped by the kernel (closed), never leaked.
    public static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, files: inout [Int32]) -> Result<Int, SocketError> {
        var control = [UInt8](repeating: 0, count: cmsgSpace(maxPassedFiles * MemoryLayout<Int32>.size))
        var controlLength = 0
        let result: Result<Int, SocketError> = control.withUnsafeMutableBytes { controlBytes in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = controlBytes.baseAddress
                message.msg_controllen = controlBytes.count
                let received = Syscall.result("recvmsg") { recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC)) }
                controlLength = message.msg_controllen
                return received
            }
        }
        // Walk the control messages (there is one SCM_RIGHTS message in practice).
        var offset = 0
        control.withUnsafeBytes { raw in
            while offset + cmsgHeaderBytes <= min(controlLength, raw.count) {
                let length = raw.load(fromByteOffset: offset, as: Int.self)
                let level = raw.load(fromByteOffset: offset + 8, as: Int32.self)
                let type = raw.load(fromByteOffset: offset + 12, as: Int32.self)
                guard length >= cmsgHeaderBytes, offset + length <= raw.count else { break }
                if level == SOL_SOCKET, type == Int32(SCM_RIGHTS) {
                    let count = (length - cmsgHeaderBytes) / MemoryLayout<Int32>.size
                    for i in 0..<count { files.append(raw.load(fromByteOffset: offset + cmsgHeaderBytes + 4 * i, as: Int32.self)) }
                }
                offset += cmsgSpace(length - cmsgHeaderBytes)
            }
        }
        return result
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
    /// Whether descriptors passed with the bytes are taken (memosd's side);
    /// otherwise the kernel disposes of any (a client takes none from a server).
    private let acceptsFiles: Bool
    /// Descriptors received and not yet taken (`takeFiles`), in order.
    private var files: [Int32] = []

    public init(fd: Int32, maxFrameBytes: Int, acceptsFiles: Bool = false) {
        self.fd = fd
        self.maxFrameBytes = maxFrameBytes
        self.acceptsFiles = acceptsFiles
    }

    /// The descriptors received up to the end of the last frame returned:
    /// the caller owns them (and closes them).
    public mutating func takeFiles() -> [Int32] {
        defer { files.removeAll() }
        return files
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
            var passed: [Int32] = []
            let received = acceptsFiles
                ? chunk.withUnsafeMutableBytes { raw in SocketIO.receive(fd, into: raw, files: &passed) }
                : chunk.withUnsafeMutableBytes { raw in Syscall.result("recv") { recv(fd, raw.baseAddress, raw.count, 0) } }
            files += passed
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
