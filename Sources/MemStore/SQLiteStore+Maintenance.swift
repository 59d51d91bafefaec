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

/// A memory whose payload file is missing (a copy of the database without
/// its blobs, a file deleted by hand).
public struct DamagedCube: Sendable, Hashable {
    public var namespace: String
    public var id: CubeID
    public var blob: String
}

extension SQLiteStore {
    public func backup(to directory: String, at now: Timestamp) throws -> BackupManifest {
        try Backup.write(self, to: directory, at: now)
    }

    /// The database's schema version and the newest this build knows.
    public func schemaVersion() throws -> (current: Int, supported: Int) {
        let current = try read { db in try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0 }
        return (Int(current), Schema.migrator.migrations.count)
    }

    /// Checks that every payload a memory names is on disk: marks the
    /// memories whose file is missing `damaged` (and clears the mark of those
    /// whose file is back). Returns the damaged ones. At start and for `memctl doctor`.
    @discardableResult
    public func checkPayloadFiles() throws -> [DamagedCube] {
        let rows = try read { db in
            try db.prepare("SELECT rowid, namespace, id, blob, damaged IS NOT NULL FROM cubes WHERE blob IS NOT NULL")
                .query([]) { ($0.int64(0), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3) ?? "", $0.int(4) != 0) }
        }
        var damaged: [DamagedCube] = [], mark: [(Int64, String?)] = []
        for (key, namespace, id, blob, wasDamaged) in rows {
            let present = blobs.exists(blob)
            if !present, let cubeID = CubeID(id) { damaged.append(DamagedCube(namespace: namespace, id: cubeID, blob: blob)) }
            if present == wasDamaged {
                mark.append((key, present ? nil : "its payload file (\(blob)) is missing from the data directory"))
            }
        }
        if !mark.isEmpty {
            try write { db in
                try db.transaction {
                    for (key, reason) in mark {
                        try db.prepare("UPDATE cubes SET damaged = ? WHERE rowid = ?").run(.optional(reason), .int(key))
                    }
                }
            }
            cache.invalidate(mark.map(\.0))
        }
        return damaged
    }
}
