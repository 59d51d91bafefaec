import MemCube

/// Applies numbered, immutable schema migrations in order, once each.
///
/// Applied migrations are recorded in `schema_migrations` with their name.
/// A migration that has shipped is never edited: a change is a new one.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        precondition(
            migrations.map(\.version) == Array(1...migrations.count),
            "migrations must be numbered 1, 2, 3... without gaps")
        self.migrations = migrations
    }

    /// Brings the database up to the newest migration; returns how many ran.
    @discardableResult
    public func migrate(_ db: Connection) throws -> Int {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations(
              version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
        let current = try db.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0
        if current > Int64(migrations.count) {
            throw StoreError.schemaTooNew(found: Int(current), supported: migrations.count)
        }
        var ran = 0
        for migration in migrations where migration.version > current {
            try db.transaction {
                try db.execute(migration.sql)
                try db.prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
                    .run(.int(Int64(migration.version)), .text(migration.name), .int(Timestamp.now().millis))
            }
            ran += 1
        }
        return ran
    }
}
