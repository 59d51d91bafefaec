import Foundation
import MemAPI
import MemCube
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Unix-socket server: one accept thread, one thread per connection
/// reading newline-delimited frames (blocking reads never touch Swift's
/// cooperative pool).
///
/// Start-up claims the socket race-free: an flock on `<socket>.lock`, then a
/// leftover socket file from a dead daemon is replaced. `stop` stops
/// accepting, lets in-flight requests finish and answer, then removes the
/// socket file.
public final class SocketServer: Sendable {
    public typealias Handler = @Sendable ([UInt8], ClientConnection) -> [UInt8]?

    public let path: String
    let maxFrameBytes: Int
    let maxConnections: Int
    let handler: Handler
    let logger: Logger

    private struct State {
        var listenFD: Int32 = -1
        var lockFD: Int32 = -1
        var clients: Set<Int32> = []
        var inFlight = 0
        var stopping = false
    }

    private let state = Mutex(State())
    let acceptedTotal = Atomic<Int>(0)

    public init(path: String, maxFrameBytes: Int, maxConnections: Int, logger: Logger, handler: @escaping Handler) {
        self.path = path
        self.maxFrameBytes = maxFrameBytes
        self.maxConnections = maxConnections
        self.logger = logger
        self.handler = handler
    }

    public var connectionCount: Int { state.withLock { $0.clients.count } }

    /// Binds and listens, then serves on background threads.
    public func start() throws {
        let lockFD = try claim()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        var address = try SocketIO.address(path)
        let oldMask = umask(0o177)  // the socket file is born 0600
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        umask(oldMask)
        guard bound == 0, listen(fd, 128) == 0 else {
            let error = SocketError("bind", code: errno, path: path)
            close(fd)
            throw error
        }
        state.withLock {
            $0.listenFD = fd
            $0.lockFD = lockFD
        }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "memosd-accept"
        thread.start()
    }

    /// Takes the lock beside the socket; replaces a stale socket file.
    private func claim() throws -> Int32 {
        let lockPath = path + ".lock"
        let lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw SocketError("open", path: lockPath) }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            close(lockFD)
            throw DaemonError.alreadyRunning(path)
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                close(lockFD)
                throw DaemonError.notASocket(path)
            }
            // We hold the lock, so no live daemon owns this file.
            unlink(path)
            logger.info("replaced a stale socket file", [("path", path)])
        }
        return lockFD
    }

    private func acceptLoop(_ listenFD: Int32) {
        while true {
            if state.withLock({ $0.stopping }) { return }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if state.withLock({ $0.stopping }) { return }
                logger.error("accept failed", [("error", SocketError("accept").description)])
                if errno == EMFILE || errno == ENFILE { usleep(100_000); continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            acceptedTotal.add(1, ordering: .relaxed)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopping, state.clients.count < maxConnections else { return false }
                state.clients.insert(fd)
                return true
            }
            guard admitted else {
                refuse(fd)
                continue
            }
            let thread = Thread { [self] in serve(fd) }
            thread.name = "memosd-conn"
            thread.start()
        }
    }

    /// Answers a connection over the limit with a `busy` error and closes it.
    private func refuse(_ fd: Int32) {
        let error = RPCError(.busy, "memosd is serving its maximum of \(maxConnections) connections; retry shortly", limit: maxConnections)
        try? SocketIO.writeAll(fd, Self.errorFrame(error))
        close(fd)
    }

    /// A response line carrying `error` for no particular request (id null).
    static func errorFrame(_ error: RPCError) -> [UInt8] {
        let bytes = (try? JSONEncoder().encode(RPCResponse<NoParams>(id: .null, error: error))).map(Array.init) ?? []
        return bytes + [UInt8(ascii: "\n")]
    }

    private func serve(_ fd: Int32) {
        defer {
            state.withLock { _ = $0.clients.remove(fd) }
            close(fd)
        }
        let peer = Self.peerCredentials(fd)
        if let peer, peer.uid != getuid(), peer.uid != 0 {
            let error = RPCError(.permissionDenied, "user \(peer.uid) may not use this memosd (it runs as user \(getuid()))")
            try? SocketIO.writeAll(fd, Self.errorFrame(error))
            return
        }
        let connection = ClientConnection(fd: fd, peer: peer)
        defer { connection.markClosed() }
        var reader = LineReader(fd: fd, maxFrameBytes: maxFrameBytes)
        while true {
            let frame: LineReader.Frame
            do { frame = try reader.next() } catch { return }
            switch frame {
            case .end:
                return
            case .tooLong:
                let error = RPCError(
                    .payloadTooLarge, "the request is larger than the \(maxFrameBytes)-byte frame limit and was discarded",
                    limit: maxFrameBytes)
                guard connection.send(Array(Self.errorFrame(error).dropLast())) else { return }
            case .line(let line):
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
                let admitted = state.withLock { state -> Bool in
                    guard !state.stopping else { return false }
                    state.inFlight += 1
                    return true
                }
                guard admitted else { return }
                let response = handler(line, connection)
                state.withLock { $0.inFlight -= 1 }
                if let response {
                    guard connection.send(response) else { return }
                }
            }
        }
    }

    /// Stops accepting, wakes idle readers, waits (up to `drainSeconds`) for
    /// in-flight requests to be answered, then removes the socket file.
    public func stop(drainSeconds: Double = 10) {
        // Under the lock, so that no descriptor is closed (and reused) in between.
        let listenFD = state.withLock { state in
            state.stopping = true
            if state.listenFD >= 0 {
                shutdown(state.listenFD, Int32(SHUT_RDWR))  // close() alone does not wake accept() on Linux
            }
            for fd in state.clients { shutdown(fd, Int32(SHUT_RD)) }  // replies can still be written
            return state.listenFD
        }
        guard listenFD >= 0 else { return }
        let deadline = Timestamp.now().adding(seconds: drainSeconds)
        while Timestamp.now() < deadline {
            let (busy, open) = state.withLock { ($0.inFlight, $0.clients.count) }
            if busy == 0 && open == 0 { break }
            usleep(2_000)
        }
        unlink(path)
        state.withLock { state in
            close(state.listenFD)
            state.listenFD = -1
            if state.lockFD >= 0 {
                close(state.lockFD)
                state.lockFD = -1
            }
        }
    }

    /// SO_PEERCRED, with `struct ucred` mirrored (Glibc hides it from Swift).
    static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        struct UCred {
            var pid: Int32 = 0
            var uid: UInt32 = 0
            var gid: UInt32 = 0
        }
        var cred = UCred()
        var length = socklen_t(MemoryLayout<UCred>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 else { return nil }
        return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid)
    }
}

/// Why the daemon cannot start.
public enum DaemonError: Error, CustomStringConvertible {
    case alreadyRunning(String)
    case notASocket(String)
    case usage(String)
    case cannotCreate(String, String)

    public var description: String {
        switch self {
        case .alreadyRunning(let path): "another memosd is already serving \(path)"
        case .notASocket(let path): "\(path) exists and is not a socket; remove it or choose another --socket"
        case .usage(let message): message
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        }
    }
}
