import CSQLite

/// One SQLite connection (`sqlite3*`): opened in `init`, closed in `deinit`.
///
/// Not `Sendable`: a connection is used by one thread at a time, which the
/// owner guarantees (see `ConnectionLock`). Prepared statements are cached
/// per SQL text and reset after each use.
public final class Connection {
    let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    /// Opens (creating when `readOnly` is false) the database at `path`.
    public init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    /// Copies this database, consistently (one read snapshot), into a new
    /// database file at `path` with SQLite's online backup API; writers go on
    /// meanwhile (WAL). The copy is left in rollback-journal mode: one file.
    public func backup(into path: String) throws {
        let destination = try Connection(path: path)
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw SQLiteError(code: sqlite3_errcode(destination.handle), message: "cannot back up into \(path): \(destination.lastErrorMessage)")
        }
        let step = sqlite3_backup_step(backup, -1)
        let finish = sqlite3_backup_finish(backup)
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw SQLiteError(code: step == SQLITE_DONE ? finish : step, message: "backup into \(path) failed: \(destination.lastErrorMessage)")
        }
        try destination.execute("PRAGMA journal_mode = DELETE")
    }

    deinit {
        cache.removeAll()  // finalizes the statements before the handle closes
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows (DDL, PRAGMAs).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// At most this many statements are cached. Queries are written with a
    /// fixed text (lists go through `SQLList`), so this is a safety net: when
    /// it is reached the cache starts over instead of growing.
    static let maxCachedStatements = 256

    var cachedStatementCount: Int { cache.count }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    public func prepare(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(connection: self, sql: sql, persistent: true)
        if cache.count >= Self.maxCachedStatements { cache.removeAll() }  // statements in use live on in their callers
        cache[sql] = statement
        return statement
    }

    /// Runs `body` in a transaction: `BEGIN IMMEDIATE` for writers, so a
    /// write never fails half-way on a lock upgrade. Rolls back on any error.
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")  // the original error is the one to report
            throw error
        }
    }

    /// Runs `body` in a deferred (read) transaction, so that several queries
    /// see one snapshot of the database.
    public func readTransaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }  // a read transaction has nothing to lose
        return try body()
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func check(_ rc: Int32, sql: String?) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, message: lastErrorMessage, sql: sql)
        }
    }

    /// A single integer from a query such as `PRAGMA page_count`.
    public func scalarInt(_ sql: String, _ values: SQLValue...) throws -> Int64? {
        let statement = try prepare(sql)
        try statement.bind(values)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int64(0)
    }
}
