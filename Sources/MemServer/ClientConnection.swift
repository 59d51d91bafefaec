import MemAPI
import MemScheduler
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One client's socket as handlers see it: who it is, and a way to send it
/// lines besides the replies (notifications to subscribed runners). Writes
/// are serialized so a notification never interleaves with a reply.
public final class ClientConnection: RunnerChannel {
    public let id: Int
    public let peer: PeerCredentials?
    private let fd: Int32
    private let writer = Mutex<Bool>(true)  // open
    private let longLived = Atomic<Bool>(false)
    private let stalledFlag = Atomic<Bool>(false)

    private static let counter = Atomic<Int>(0)

    init(fd: Int32, peer: PeerCredentials?) {
        self.fd = fd
        self.peer = peer
        id = Self.counter.add(1, ordering: .relaxed).newValue
    }

    public var isOpen: Bool { writer.withLock { $0 } }

    /// A subscribed runner: it waits for jobs, so the idle timeout spares it.
    public var isLongLived: Bool { longLived.load(ordering: .relaxed) }
    public func markLongLived() { longLived.store(true, ordering: .relaxed) }

    /// A send gave up because the client did not read (the send timeout).
    var stalled: Bool { stalledFlag.load(ordering: .relaxed) }

    /// Writes one line (a newline is added); false once the connection is gone.
    @discardableResult
    public func send(_ line: [UInt8]) -> Bool {
        writer.withLock { open in
            guard open else { return false }
            do {
                try SocketIO.writeAll(fd, line + [UInt8(ascii: "\n")])
                return true
            } catch {
                if let error = error as? SocketError, error.code == EAGAIN || error.code == EWOULDBLOCK {
                    stalledFlag.store(true, ordering: .relaxed)
                    shutdown(fd, Int32(SHUT_RDWR))  // the rest of a half-sent line must never go out
                }
                open = false
                return false
            }
        }
    }

    /// The descriptors passed with the request being handled (set by the
    /// server around each request, on this connection's thread).
    private let passed = Mutex<PassedFiles?>(nil)
    var files: PassedFiles? { passed.withLock { $0 } }
    func setFiles(_ files: PassedFiles?) { passed.withLock { $0 = files } }

    /// Called by the server when the client is gone (before the fd closes).
    func markClosed() { writer.withLock { $0 = false } }
}
