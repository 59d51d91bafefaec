import MemAPI
import MemScheduler
import Synchronization

/// One client's socket as handlers see it: who it is, and a way to send it
/// lines besides the replies (notifications to subscribed runners). Writes
/// are serialized so a notification never interleaves with a reply.
public final class ClientConnection: RunnerChannel {
    public let id: Int
    public let peer: PeerCredentials?
    private let fd: Int32
    private let writer = Mutex<Bool>(true)  // open

    private static let counter = Atomic<Int>(0)

    init(fd: Int32, peer: PeerCredentials?) {
        self.fd = fd
        self.peer = peer
        id = Self.counter.add(1, ordering: .relaxed).newValue
    }

    public var isOpen: Bool { writer.withLock { $0 } }

    /// Writes one line (a newline is added); false once the connection is gone.
    @discardableResult
    public func send(_ line: [UInt8]) -> Bool {
        writer.withLock { open in
            guard open else { return false }
            do {
                try SocketIO.writeAll(fd, line + [UInt8(ascii: "\n")])
                return true
            } catch {
                open = false
                return false
            }
        }
    }

    /// Called by the server when the client is gone (before the fd closes).
    func markClosed() { writer.withLock { $0 = false } }
}
