import Synchronization

/// Exclusive use of one `Connection` by one thread at a time.
///
/// memosd serves each client on its own thread (never on Swift's
/// cooperative pool), so a blocking lock around `sqlite3_step` is the
/// serial executor here: writes queue on the writer's lock in arrival order.
final class ConnectionLock: Sendable {
    private let mutex: Mutex<Connection>

    init(_ connection: sending Connection) {
        mutex = Mutex(connection)
    }

    func with<R: Sendable>(_ body: (Connection) throws -> R) throws -> R {
        try mutex.withLock { connection in try body(connection) }
    }
}
