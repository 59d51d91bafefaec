import Foundation
import Synchronization
import MemCube

/// The SQLite implementation of `CubeStore`: one writer connection and a few
/// WAL reader connections over one database file.
///
/// Thread-safe: writes serialize on the writer's lock; reads take one of the
/// reader connections round-robin and see the last committed state.
public final class SQLiteStore: CubeStore {
    /// How hard a commit waits for the disk (`PRAGMA synchronous`).
    public enum Durability: String, Sendable, CaseIterable {
        /// fsync on every commit: survives kill -9 and power loss.
        case full
        /// WAL + NORMAL: survives kill -9; power loss may drop the last commits.
        case normal
    }

    public let path: String
    let writer: ConnectionLock
    /// Recently loaded active cubes (see `CubeCache`); writes invalidate them.
    let cache: CubeCache
    /// Payloads of activation and parameter cubes, in `blobs/` beside the database.
    public let blobs: BlobStore
    /// Set by a purge of a memory with a payload; cleared by `collectPurgedBlobs`.
    let blobGarbage = Atomic<Bool>(false)
    private let readers: [ConnectionLock]
    private let nextReader = Atomic<Int>(0)

    /// Opens (creating and migrating when needed) the database at `path`.
    public init(path: String, durability: Durability = .full, readers readerCount: Int = 4, cacheBytes: Int = 64 << 20) throws {
        self.path = path
        cache = CubeCache(budgetBytes: cacheBytes)
        blobs = try BlobStore(root: (path as NSString).deletingLastPathComponent + "/blobs")
        let writerConnection = try Connection(path: path)
        try writerConnection.execute("""
            PRAGMA auto_vacuum = INCREMENTAL;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL");
            PRAGMA foreign_keys = ON;
            PRAGMA secure_delete = ON;
            PRAGMA busy_timeout = 10000;
            \(Self.cachePragmas)
            """)
        try Schema.migrator.migrate(writerConnection)
        writer = ConnectionLock(writerConnection)
        var readers: [ConnectionLock] = []
        for _ in 0..<max(1, readerCount) {
            let reader = try Connection(path: path)
            try reader.execute("PRAGMA busy_timeout = 10000; PRAGMA query_only = 1; \(Self.cachePragmas)")
            readers.append(ConnectionLock(reader))
        }
        self.readers = readers
    }

    /// Reads map the file (no copy through `pread`) and keep a 32 MiB page
    /// cache per connection: recall loads hit rows from all over the file, and
    /// SQLite's 2 MB default cache made it I/O-bound in profiles.
    static let cachePragmas = "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;"

    /// The most statements any connection has cached (for tests of the bound).
    var largestStatementCache: Int {
        ([writer] + readers).map { (try? $0.with { $0.cachedStatementCount }) ?? 0 }.max() ?? 0
    }

    func read<R: Sendable>(_ body: (Connection) throws -> R) throws -> R {
        let index = nextReader.add(1, ordering: .relaxed).oldValue % readers.count
        return try readers[abs(index)].with(body)
    }

    func write<R: Sendable>(_ body: (Connection) throws -> R) throws -> R {
        try writer.with(body)
    }

    /// Deletes blob files no cube row names (purged payloads, and files a
    /// crash left between the blob write and the row commit) once they are
    /// `graceSeconds` old: an add that reuses a file refreshes its age first.
    @discardableResult
    public func collectBlobs(graceSeconds: Double) throws -> [String] {
        let referenced = try read { db in
            try db.prepare("SELECT DISTINCT blob FROM cubes WHERE blob IS NOT NULL").query([]) { $0.text(0) ?? "" }
        }
        var tooYoung = 0
        let removed = blobs.collect(keeping: Set(referenced), olderThan: graceSeconds, tooYoung: &tooYoung)
        if tooYoung > 0 { blobGarbage.store(true, ordering: .relaxed) }
        return removed
    }

    /// `collectBlobs` if a purge may have left a payload unreferenced since the last call.
    @discardableResult
    public func collectPurgedBlobs(graceSeconds: Double) throws -> [String] {
        guard blobGarbage.exchange(false, ordering: .relaxed) else { return [] }
        return try collectBlobs(graceSeconds: graceSeconds)
    }

    public func stats() throws -> StoreStats {
        try read { db in
            try db.readTransaction {
                let counts = try db.prepare("""
                    SELECT namespace,
                      sum(state = 'active'), sum(state = 'superseded'), sum(state = 'forgotten')
                    FROM cubes GROUP BY namespace ORDER BY namespace
                    """).query([]) { row in
                    StoreStats.NamespaceCounts(
                        namespace: row.text(0) ?? "", active: row.int(1), superseded: row.int(2),
                        forgotten: row.int(3))
                }
                let pageSize = try db.scalarInt("PRAGMA page_size") ?? 4096
                let pages = try db.scalarInt("PRAGMA page_count") ?? 0
                return StoreStats(
                    namespaces: counts,
                    versions: Int(try db.scalarInt("SELECT count(*) FROM cube_versions") ?? 0),
                    vectors: Int(try db.scalarInt("SELECT count(*) FROM cube_vectors") ?? 0),
                    auditEntries: Int(try db.scalarInt("SELECT count(*) FROM audit") ?? 0),
                    databaseBytes: pageSize * pages,
                    walBytes: FileSize.of(path + "-wal"))
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

enum FileSize {
    static func of(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
