import CSQLite

/// A failed SQLite call: its result code, SQLite's message and the SQL.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// True for SQLITE_BUSY / SQLITE_LOCKED: another connection holds a lock.
    public var isBusy: Bool {
        let primary = code & 0xff
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }

    /// SQLITE_FULL: the disk (or quota) is full; the transaction was rolled back.
    public var isFull: Bool { code & 0xff == SQLITE_FULL }

    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}
