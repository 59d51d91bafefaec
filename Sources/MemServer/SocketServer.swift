import Foundation
import MemAPI
import MemCube
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// MemCube's limits (the server has its own `ClientLimits`), for `show`.
private typealias StoreLimits = Limits

/// A Unix-socket server: one accept thread, one thread per connection
/// reading newline-delimited frames (blocking reads never touch Swift's
/// cooperative pool). Every syscall goes through `Syscall` (EINTR retried,
/// errno captured at once).
///
/// Its life is a `Phase`: starting → running → draining → stopped. The
/// state (phase, descriptors, clients, requests in flight) is behind one
/// mutex; the accept thread and the connection threads read the phase there.
///
/// Start-up replaces a leftover socket file of a dead daemon (this user's,
/// answering no connect); one daemon per data directory is `DataDirectory`'s lock. `stop` stops
/// accepting, lets in-flight requests finish and answer, then removes the
/// socket file.
///
/// No client can hold the server: one whose peer credentials cannot be read
/// is refused, one idle for `idleTimeout` seconds between requests is closed
/// (subscribed runners excepted: they wait for jobs), and one that stops
/// reading its replies is closed once a reply has waited `sendTimeout`
/// seconds for room in the socket.
public final class SocketServer: Sendable {
    public typealias Handler = @Sendable ([UInt8], ClientConnection) -> [UInt8]?

    /// What one client may use of the server.
    public struct ClientLimits: Sendable {
        public var maxFrameBytes: Int
        public var maxConnections: Int
        /// Seconds without a request before a connection is closed; 0: never.
        public var idleTimeout: Double
        /// Seconds a reply may wait for a client that does not read; 0: forever.
        public var sendTimeout: Double
        /// Which users may connect besides the daemon's own and root.
        public var admission: Admission

        public init(
            maxFrameBytes: Int, maxConnections: Int, idleTimeout: Double = 0, sendTimeout: Double = 0, admission: Admission = Admission()
        ) {
            self.maxFrameBytes = maxFrameBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.sendTimeout = sendTimeout
            self.admission = admission
        }
    }

    public let path: String
    let limits: ClientLimits
    var maxFrameBytes: Int { limits.maxFrameBytes }
    var maxConnections: Int { limits.maxConnections }
    let handler: Handler
    let logger: Logger

    public enum Phase: Sendable, Equatable {
        /// `start` is claiming the socket.
        case starting
        /// Accepting clients and serving requests.
        case running
        /// `stop` was called: no new clients or requests; in-flight ones finish and answer.
        case draining
        /// The socket file is gone and every descriptor closed.
        case stopped
    }

    private struct State {
        var phase = Phase.starting
        var listenFD: Int32 = -1
        /// The socket file this server bound (device, inode): `stop` removes only that one.
        var socketFile: (dev_t, ino_t)?
        var clients: Set<Int32> = []
        var inFlight = 0
        /// Past running: nothing new is admitted.
        var stopping: Bool { phase == .draining || phase == .stopped }
    }

    private let state = Mutex(State())
    let acceptedTotal = Atomic<Int>(0)

    public convenience init(path: String, maxFrameBytes: Int, maxConnections: Int, logger: Logger, handler: @escaping Handler) {
        self.init(path: path, limits: ClientLimits(maxFrameBytes: maxFrameBytes, maxConnections: maxConnections), logger: logger, handler: handler)
    }

    public init(path: String, limits: ClientLimits, logger: Logger, handler: @escaping Handler) {
        self.path = path
        self.limits = limits
        self.logger = logger
        self.handler = handler
    }

    public var connectionCount: Int { state.withLock { $0.clients.count } }
    public var phase: Phase { state.withLock { $0.phase } }

    /// Binds and listens, then serves on background threads.
    public func start() throws {
        try claim()
        let fd = try Syscall.run("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var bound = stat()
        do {
            var address = try SocketIO.address(path)
            try Syscall.run("bind", path: path) {
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            // 0600 before anyone can connect (listen comes next). Not umask:
            // that is process-wide and other threads are creating files.
            // With other users let in, 0666: who is admitted is decided by
            // SO_PEERCRED (`Admission`), never by the file mode.
            let mode: mode_t = limits.admission.isEmpty ? 0o600 : 0o666
            try Syscall.run("chmod", path: path) { chmod(path, mode) }
            try Syscall.run("lstat", path: path) { lstat(path, &bound) }
            try Syscall.run("listen", path: path) { listen(fd, 128) }
        } catch {
            close(fd)
            throw error
        }
        state.withLock {
            $0.listenFD = fd
            $0.socketFile = (bound.st_dev, bound.st_ino)
            $0.phase = .running
        }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "memosd-accept"
        thread.start()
    }

    /// Replaces a stale socket file: one of this user's that nothing answers
    /// on. (One daemon per data directory is the data directory's lock; no
    /// lock file beside the socket, where in a shared /tmp another user
    /// could take it first.)
    private func claim() throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw DaemonError.notASocket(path) }
        guard info.st_uid == getuid() else { throw DaemonError.socketOfAnotherUser(path, info.st_uid) }
        if let fd = try? SocketIO.connect(path: path) {
            close(fd)
            throw DaemonError.alreadyRunning(path)
        }
        unlink(path)
        logger.info("replaced a stale socket file", [("path", path)])
    }

    /// Accepts until the server drains. A failed accept never ends the loop
    /// silently: it is logged and retried after a pause (out of descriptors,
    /// a transient error), at most once a second per kind of error in the log.
    private func acceptLoop(_ listenFD: Int32) {
        var lastLogged: (code: Int32, at: Timestamp)?
        while true {
            if state.withLock({ $0.stopping }) { return }
            let fd: Int32
            switch Syscall.result("accept", { accept(listenFD, nil, nil) }) {
            case .success(let accepted): fd = accepted
            case .failure(let error):
                if state.withLock({ $0.stopping }) { return }
                if error.code == ECONNABORTED { continue }  // the client gave up first
                let now = Timestamp.now()
                if lastLogged?.code != error.code || now.millis - (lastLogged?.at.millis ?? 0) >= 1000 {
                    logger.error("accept failed; retrying", [("error", error.description)])
                    lastLogged = (error.code, now)
                }
                usleep(error.code == EMFILE || error.code == ENFILE ? 100_000 : 10_000)
                continue
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

    /// Sends a refused client its error, then reads (and drops) what it sends
    /// for up to a second: closing at once could make its request write fail
    /// (EPIPE) before it reads why. On the connection's own thread.
    private static func refuse(_ fd: Int32, _ error: RPCError) {
        try? SocketIO.writeAll(fd, errorFrame(error))
        _ = Syscall.result("shutdown") { shutdown(fd, Int32(SHUT_WR)) }
        try? SocketIO.setTimeout(fd, SO_RCVTIMEO, seconds: 1)
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            let n = scratch.withUnsafeMutableBytes { buffer in Syscall.result("read") { read(fd, buffer.baseAddress, buffer.count) } }
            guard case .success(let count) = n, count > 0 else { return }
        }
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
        // A reply to a refused client must not block this thread either.
        if limits.sendTimeout > 0 { try? SocketIO.setTimeout(fd, SO_SNDTIMEO, seconds: limits.sendTimeout) }
        guard let peer = Self.peerCredentials(fd) else {
            // Fail closed: a client we cannot identify is not let in.
            logger.warning("refused a client whose credentials cannot be read", [("error", String(cString: strerror(errno)))])
            let error = RPCError(.permissionDenied, "memosd cannot identify this client (SO_PEERCRED failed) and refuses it")
            Self.refuse(fd, error)
            return
        }
        if !limits.admission.admits(peer) {
            logger.warning("refused a client of another user", [("pid", String(peer.pid)), ("uid", String(peer.uid))])
            Self.refuse(fd, RPCError(.permissionDenied, Admission.refusal(peer)))
            return
        }
        if limits.idleTimeout > 0 { try? SocketIO.setTimeout(fd, SO_RCVTIMEO, seconds: limits.idleTimeout) }
        let connection = ClientConnection(fd: fd, peer: peer)
        defer {
            if !connection.isOpen, connection.stalled {
                logger.warning("closed a client that stopped reading its replies", [
                    ("pid", String(peer.pid)), ("after_seconds", StoreLimits.show(limits.sendTimeout)),
                ])
            }
            connection.markClosed()
        }
        var reader = LineReader(fd: fd, maxFrameBytes: maxFrameBytes, acceptsFiles: true)
        defer { for file in reader.takeFiles() { SocketIO.close(file) } }
        while true {
            let frame: LineReader.Frame
            do { frame = try reader.next() } catch let error as SocketError where error.code == EAGAIN || error.code == EWOULDBLOCK {
                if connection.isLongLived { continue }  // a subscribed runner waits for jobs
                logger.info("closed an idle client", [("pid", String(peer.pid)), ("idle_seconds", StoreLimits.show(limits.idleTimeout))])
                return
            } catch {
                return
            }
            switch frame {
            case .end:
                return
            case .tooLong:
                for file in reader.takeFiles() { SocketIO.close(file) }
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
                // Descriptors passed with this frame belong to it; those no handler took are closed after.
                let received = reader.takeFiles()
                guard admitted else {
                    for file in received { SocketIO.close(file) }
                    return
                }
                let files = received.isEmpty ? nil : PassedFiles(received)
                connection.setFiles(files)
                let response = handler(line, connection)
                connection.setFiles(nil)
                files?.closeRest()
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
            if state.phase == .running || state.phase == .starting { state.phase = .draining }
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
        // Only our own socket file: a daemon started since may have replaced it.
        var info = stat()
        if let (dev, ino) = state.withLock({ $0.socketFile }), lstat(path, &info) == 0, info.st_dev == dev, info.st_ino == ino {
            unlink(path)
        }
        state.withLock { state in
            close(state.listenFD)
            state.listenFD = -1
            state.phase = .stopped
        }
    }

    static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        SocketIO.peer(fd).map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }

}

/// Why the daemon cannot start.
public enum DaemonError: Error, CustomStringConvertible {
    case alreadyRunning(String)
    case notASocket(String)
    case usage(String)
    case cannotCreate(String, String)
    case dataDirectoryInUse(String)
    case socketOfAnotherUser(String, UInt32)

    public var description: String {
        switch self {
        case .alreadyRunning(let path): "another memosd is already serving \(path)"
        case .notASocket(let path): "\(path) exists and is not a socket; remove it or choose another --socket"
        case .usage(let message): message
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .dataDirectoryInUse(let path): "another memosd is already using the data directory \(path); stop it, or give this one another --data-dir"
        case .socketOfAnotherUser(let path, let uid): "\(path) belongs to user \(uid), not to this one; choose another --socket"
        }
    }
}
