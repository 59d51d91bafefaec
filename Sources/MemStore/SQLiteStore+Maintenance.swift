import MemCube

/// `StoreMaintenance` in SQLite's terms: PRAGMAs, incremental vacuum and the
/// WAL checkpoint.
extension SQLiteStore {
    /// `PRAGMA optimize` (refreshes the planner's statistics where useful).
    public func refreshQueryStatistics() throws {
        try write { db in try db.execute("PRAGMA optimize") }
    }

    /// `PRAGMA integrity_check`: "ok", or the problems SQLite found.
    public func checkIntegrity() throws -> [String] {
        try read { db in try db.prepare("PRAGMA integrity_check(20)").query([]) { $0.text(0) ?? "" } }
    }

    /// Incremental vacuum of at most `pages` free pages. A database made
    /// before incremental vacuum was the default is switched over first (one
    /// full VACUUM: `rewrote`). Returns the pages freed.
    public func releaseFreeSpace(pages: Int) throws -> (rewrote: Bool, freed: Int) {
        try write { db in
            var rewrote = false
            if try db.scalarInt("PRAGMA auto_vacuum") != 2 {
                try db.execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")
                rewrote = true
            }
            let before = try db.scalarInt("PRAGMA freelist_count") ?? 0
            try db.execute("PRAGMA incremental_vacuum(\(max(1, pages)))")
            let after = try db.scalarInt("PRAGMA freelist_count") ?? 0
            return (rewrote, Int(before - after))
        }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: the write-ahead log folded into the database.
    public func flush() throws {
        try write { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
