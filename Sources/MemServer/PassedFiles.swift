import MemAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The descriptors a client passed with one request (SCM_RIGHTS): files it
/// opened with its own rights, so memosd never opens a path it named.
/// Params name them by position (`memory.add {fd: 0}`, `memory.get
/// {export_fd: 0}`). A handler `take`s one and owns it from then; the
/// server closes every one not taken when the request ends.
///
/// Lives for one request, on the connection's thread; the lock only makes
/// it Sendable.
public final class PassedFiles: Sendable {
    private let slots: Mutex<[Int32?]>

    init(_ descriptors: [Int32]) { slots = Mutex(descriptors.map(Optional.some)) }

    public var count: Int { slots.withLock { $0.count } }

    /// The descriptor at `index`, now the caller's; nil when there is none
    /// (or it was taken already).
    public func take(_ index: Int) -> Int32? {
        slots.withLock { slots in
            guard slots.indices.contains(index), let fd = slots[index] else { return nil }
            slots[index] = nil
            return fd
        }
    }

    /// Closes what was not taken.
    func closeRest() {
        slots.withLock { slots in
            for case let fd? in slots { SocketIO.close(fd) }
            slots = slots.map { _ in nil }
        }
    }
}
