import MemCube
import MemJSON

/// A new state for one cube, written as a new version (consolidation's
/// merges and supersessions, `memory.revert`, undoing a run).
///
/// The fields are the whole new state, not a delta: the caller reads the
/// cube, changes what it means to change, and the store refuses the write
/// when the cube moved on from `expectedVersion` meanwhile.
public struct CubeRevision: Sendable {
    public var id: CubeID
    public var expectedVersion: Int
    public var text: String?
    public var tags: [String]
    public var attributes: [String: JSONValue]
    public var importance: Double
    public var state: CubeState
    public var session: String?
    public var occurredAt: Timestamp?
    public var expiresAt: Timestamp?
    public var validTo: Timestamp?
    /// A new access count (merge sums its group's), or nil to keep it.
    public var accessCount: Int?
    /// A vector for new text; nil keeps the stored one.
    public var embedding: Embedding?
    /// The entities of new text; nil keeps the stored mentions.
    public var entities: [Entity]?
    /// New `derived_from` for the cube (a summary whose members changed); nil keeps it.
    public var derivedFrom: [CubeID]?
    public var provenance: Provenance

    /// A revision of the cube now at `expectedVersion` restoring `earlier`.
    public init(id: CubeID, expectedVersion: Int, restoring earlier: CubeVersion, provenance: Provenance) {
        self.id = id
        self.expectedVersion = expectedVersion
        text = earlier.text
        tags = earlier.tags
        attributes = earlier.attributes
        importance = earlier.importance
        state = earlier.state
        session = earlier.session
        occurredAt = earlier.occurredAt
        expiresAt = earlier.expiresAt
        validTo = earlier.validTo
        self.provenance = provenance
    }

    /// A revision of `cube` that, until changed, keeps everything as it is.
    public init(of cube: MemCube, provenance: Provenance) {
        id = cube.id
        expectedVersion = cube.version
        text = cube.text
        tags = cube.tags
        attributes = cube.attributes
        importance = cube.importance
        state = cube.state
        session = cube.session
        occurredAt = cube.occurredAt
        expiresAt = cube.expiresAt
        validTo = cube.validTo
        self.provenance = provenance
    }
}

/// A revision as committed: the cube before and after.
public struct RevisedCube: Sendable {
    public var before: StoredCube
    public var after: StoredCube
}

/// A link a consolidation run made (undoing the run removes it).
public struct RunEdge: Sendable, Hashable {
    public var from: Int64
    public var to: Int64
    public var type: String
    public var weight: Double

    public init(from: Int64, to: Int64, type: String, weight: Double = 1) {
        self.from = from
        self.to = to
        self.type = type
        self.weight = weight
    }
}

/// A consolidation run as stored: its report is JSON the server owns.
public struct ConsolidationRunRecord: Sendable, Hashable {
    public var runID: String
    public var namespace: String?
    public var state: String
    public var dryRun: Bool
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    public var report: String

    public init(
        runID: String, namespace: String?, state: String, dryRun: Bool, startedAt: Timestamp, finishedAt: Timestamp?,
        report: String
    ) {
        self.runID = runID
        self.namespace = namespace
        self.state = state
        self.dryRun = dryRun
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.report = report
    }
}

/// A version some consolidation run wrote, with where its cube is now.
public struct RunVersion: Sendable, Hashable {
    public var key: Int64
    public var namespace: String
    public var id: CubeID
    public var version: Int
    public var currentVersion: Int
}

/// The key in a version's `source` naming the consolidation run that wrote it.
public let consolidationRunKey = "consolidation_run"

extension SQLiteStore {
    public func revise(
        namespace: String, _ revisions: [CubeRevision], linking edges: [RunEdge], runID: String?, at: Timestamp,
        afterCommit: ([RevisedCube]) -> Void
    ) throws -> [RevisedCube] {
        guard !revisions.isEmpty else { return [] }
        return try write { db in
            let revised: [RevisedCube] = try db.transaction {
                var revised: [RevisedCube] = []
                for revision in revisions {
                    let current = try loadForWrite(db, namespace: namespace, id: revision.id)
                    guard current.cube.version == revision.expectedVersion else {
                        throw StoreError.versionConflict(revision.id, expected: revision.expectedVersion, actual: current.cube.version)
                    }
                    let after = try writeRevision(db, current, revision, at: at)
                    revised.append(RevisedCube(before: current, after: after))
                }
                _ = try insertRunEdges(db, edges, runID: runID, at: at)
                return revised
            }
            cache.invalidate(revised.map(\.after.key))
            let leaving = revised.filter { $0.before.cube.tier == .working && $0.after.cube.state != .active }
            cache.setResident(leaving.map(\.after.key), false)
            for entry in leaving where entry.before.cube.kind == .activation {
                if let sha = entry.before.cube.content?.sha256 { blobs.release(sha) }
            }
            afterCommit(revised)
            return revised
        }
    }

    /// Writes `revision` over `current` (inside the writer's transaction): the
    /// row, a version row, vector and mentions when given, audit. Returns the cube after.
    func writeRevision(_ db: Connection, _ current: StoredCube, _ revision: CubeRevision, at: Timestamp) throws -> StoredCube {
        var cube = current.cube
        cube.text = revision.text
        cube.tags = revision.tags
        cube.attributes = revision.attributes
        cube.importance = revision.importance
        cube.state = revision.state
        cube.session = revision.session
        cube.occurredAt = revision.occurredAt
        cube.expiresAt = revision.expiresAt
        cube.validTo = revision.validTo
        if let count = revision.accessCount { cube.access.count = count }
        if let sources = revision.derivedFrom { cube.provenance.derivedFrom = sources }
        cube.version += 1
        cube.updatedAt = at
        try db.prepare("""
            UPDATE cubes SET text = ?, tags = ?, attributes = ?, importance = ?, state = ?, session = ?,
              occurred_at = ?, expires_at = ?, valid_to = ?, access_count = ?, version = ?, updated_at = ?,
              derived_from = ?
            WHERE rowid = ?
            """).run([
                .optional(cube.text), .text(RowCoding.json(cube.tags)), .text(RowCoding.json(cube.attributes)),
                .double(cube.importance), .text(cube.state.rawValue), .optional(cube.session),
                .optional(cube.occurredAt?.millis), .optional(cube.expiresAt?.millis),
                .optional(cube.validTo?.millis), .int(Int64(cube.access.count)), .int(Int64(cube.version)),
                .int(at.millis), .text(RowCoding.json(cube.provenance.derivedFrom)), .int(current.key),
            ])
        var versionRow = CubeVersion(of: cube, at: at)
        versionRow.provenance = revision.provenance
        try db.prepare(RowCoding.insertVersionSQL).run(RowCoding.versionValues(key: current.key, versionRow))
        if let embedding = revision.embedding { try insertVector(db, key: current.key, embedding) }
        if let entities = revision.entities {
            try db.prepare("DELETE FROM mentions WHERE cube_rowid = ?").run(.int(current.key))
            try insertMentions(db, key: current.key, namespace: cube.namespace, entities)
        }
        if cube.state == .forgotten {  // as memory.forget: a tombstone keeps no vector
            try db.prepare("DELETE FROM cube_vectors WHERE cube_rowid = ?").run(.int(current.key))
        }
        try audit(db, cube.namespace, cube.id, revision.provenance, version: cube.version, at: at)
        return StoredCube(key: current.key, cube: cube)
    }

    public func activeTextCubes(namespace: String, now: Timestamp) throws -> [StoredCube] {
        try read { db in
            try db.prepare("""
                SELECT \(RowCoding.cubeColumns) FROM cubes c
                WHERE c.namespace = ? AND c.state = 'active' AND c.kind = 'plaintext' AND c.text IS NOT NULL
                  AND (c.expires_at IS NULL OR c.expires_at > ?)
                ORDER BY c.rowid
                """).query([.text(namespace), .int(now.millis)], row: RowCoding.cube)
        }
    }

    @discardableResult
    public func addEdges(_ edges: [RunEdge], runID: String, at: Timestamp) throws -> Int {
        guard !edges.isEmpty else { return 0 }
        return try write { db in try db.transaction { try insertRunEdges(db, edges, runID: runID, at: at) } }
    }

    private func insertRunEdges(_ db: Connection, _ edges: [RunEdge], runID: String?, at: Timestamp) throws -> Int {
        var added = 0
        for edge in edges {
            // An edge a client made stays the client's: the run does not claim it.
            try db.prepare("INSERT OR IGNORE INTO edges(src, dst, type, weight, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?)")
                .run(.int(edge.from), .int(edge.to), .text(edge.type), .double(edge.weight), .int(at.millis), .optional(runID))
            added += Int(try db.scalarInt("SELECT changes()") ?? 0)
        }
        return added
    }

    public func removeEdges(runID: String) throws -> Int {
        try write { db in
            try db.prepare("DELETE FROM edges WHERE run_id = ?").run(.text(runID))
            return Int(try db.scalarInt("SELECT changes()") ?? 0)
        }
    }

    public func hasEdges(type: String) throws -> Bool {
        try read { db in try db.scalarInt("SELECT 1 FROM edges WHERE type = ? LIMIT 1", .text(type)) != nil }
    }

    public func linked(keys: [Int64], type: String) throws -> [Int64: [CubeID]] {
        guard !keys.isEmpty else { return [:] }
        let list = SQLList.sql
        let part = [SQLValue.text(type), SQLList.ints(keys)]
        let values = part + part
        return try read { db in
            let rows = try db.prepare("""
                SELECT e.src, c.id FROM edges e JOIN cubes c ON c.rowid = e.dst
                  WHERE e.type = ? AND e.src IN \(list) AND c.state = 'active'
                UNION
                SELECT e.dst, c.id FROM edges e JOIN cubes c ON c.rowid = e.src
                  WHERE e.type = ? AND e.dst IN \(list) AND c.state = 'active'
                """).query(values) { ($0.int64(0), CubeID($0.text(1) ?? "")) }
            var result: [Int64: [CubeID]] = [:]
            for (key, id) in rows { if let id { result[key, default: []].append(id) } }
            for key in result.keys { result[key]?.sort() }
            return result
        }
    }

    public func saveConsolidationRun(_ run: ConsolidationRunRecord) throws {
        try write { db in
            try db.prepare("""
                INSERT INTO consolidation_runs(run_id, namespace, state, dry_run, started_at, finished_at, report)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run_id) DO UPDATE SET state = excluded.state, finished_at = excluded.finished_at,
                  report = excluded.report
                """).run([
                    .text(run.runID), .optional(run.namespace), .text(run.state), .int(run.dryRun ? 1 : 0),
                    .int(run.startedAt.millis), .optional(run.finishedAt?.millis), .text(run.report),
                ])
        }
    }

    /// The run `id`, or the latest run when nil.
    public func consolidationRun(_ id: String?) throws -> ConsolidationRunRecord? {
        let sql = "SELECT run_id, namespace, state, dry_run, started_at, finished_at, report FROM consolidation_runs"
        return try read { db in
            let statement = try db.prepare(id == nil ? sql + " ORDER BY started_at DESC, run_id DESC LIMIT 1" : sql + " WHERE run_id = ?")
            return try statement.query(id.map { [SQLValue.text($0)] } ?? [], row: Self.runRecord).first
        }
    }

    /// Runs a shutdown or crash left in the `running` state, oldest first.
    public func unfinishedConsolidationRuns() throws -> [ConsolidationRunRecord] {
        try read { db in
            try db.prepare("""
                SELECT run_id, namespace, state, dry_run, started_at, finished_at, report FROM consolidation_runs
                WHERE state = 'running' ORDER BY started_at
                """).query([], row: Self.runRecord)
        }
    }

    static func runRecord(_ row: Statement) -> ConsolidationRunRecord {
        ConsolidationRunRecord(
            runID: row.text(0) ?? "", namespace: row.text(1), state: row.text(2) ?? "", dryRun: row.int(3) != 0,
            startedAt: Timestamp(millis: row.int64(4)), finishedAt: row.optionalInt64(5).map(Timestamp.init(millis:)),
            report: row.text(6) ?? "{}")
    }

    public func markConsolidated(namespaces: [String], runID: String, at: Timestamp) throws {
        try write { db in
            try db.transaction {
                for namespace in namespaces {
                    try db.prepare("""
                        INSERT INTO consolidation_marks(namespace, run_id, at) VALUES (?, ?, ?)
                        ON CONFLICT(namespace) DO UPDATE SET run_id = excluded.run_id, at = excluded.at
                        """).run(.text(namespace), .text(runID), .int(at.millis))
                }
            }
        }
    }

    /// Every namespace with memories, and whether a client wrote a version in
    /// it since its last finished consolidation run started (true when it
    /// never had one). Versions written by runs do not count. A version
    /// stamped in the very millisecond a run started counts as a change: it
    /// may have been written after the run read the namespace.
    public func namespacesChangedSinceConsolidation() throws -> [(namespace: String, changed: Bool)] {
        try read { db in
            try db.prepare("""
                SELECT n.namespace, coalesce((SELECT 1 FROM cube_versions v JOIN cubes c ON c.rowid = v.cube_rowid
                        WHERE c.namespace = n.namespace AND v.at >= coalesce(m.at, -1)
                      AND (v.source IS NULL OR json_extract(v.source, '$.\(consolidationRunKey)') IS NULL) LIMIT 1), 0)
                FROM (SELECT DISTINCT namespace FROM cubes) n
                LEFT JOIN consolidation_marks m ON m.namespace = n.namespace
                ORDER BY n.namespace
                """).query([]) { (namespace: $0.text(0) ?? "", changed: $0.int(1) != 0) }
        }
    }

    /// The versions run `runID` wrote (at or after `since`), in write order.
    public func versionsWritten(runID: String, since: Timestamp) throws -> [RunVersion] {
        try read { db in
            try db.prepare("""
                SELECT v.cube_rowid, c.namespace, c.id, v.version, c.version FROM cube_versions v
                JOIN cubes c ON c.rowid = v.cube_rowid
                WHERE v.at >= ? AND v.source IS NOT NULL AND json_extract(v.source, '$.\(consolidationRunKey)') = ?
                ORDER BY v.at, v.cube_rowid, v.version
                """).query([.int(since.millis), .text(runID)]) { row in
                RunVersion(
                    key: row.int64(0), namespace: row.text(1) ?? "", id: CubeID(row.text(2) ?? "") ?? CubeID.generate(at: 0),
                    version: row.int(3), currentVersion: row.int(4))
            }
        }
    }

    /// Tier moves whose reason names `runID`, newest first.
    public func tierEvents(runID: String) throws -> [(key: Int64, event: TierEvent)] {
        try read { db in
            try db.prepare("""
                SELECT c.rowid, e.at, e.namespace, e.cube_id, e.from_tier, e.to_tier, e.reason FROM scheduler_events e
                JOIN cubes c ON c.id = e.cube_id WHERE instr(e.reason, ?) > 0 ORDER BY e.id DESC
                """).query([.text("(\(runID))")]) { row in
                (row.int64(0), TierEvent(
                    at: Timestamp(millis: row.int64(1)), namespace: row.text(2) ?? "", id: row.text(3) ?? "",
                    from: Tier(rawValue: row.text(4) ?? "") ?? .active, to: Tier(rawValue: row.text(5) ?? "") ?? .active,
                    reason: row.text(6) ?? ""))
            }
        }
    }

    public func nameEntities(namespace: String) throws -> [EntityStat] {
        try read { db in
            try db.prepare("""
                SELECT e.id, e.key, e.kind, e.display, (SELECT count(*) FROM mentions m WHERE m.entity_id = e.id)
                FROM entities e WHERE e.namespace = ? AND e.kind = 'name' ORDER BY e.id
                """).query([.text(namespace)]) { Self.entityStat($0, from: 0) }
        }
    }

    public func shareMentions(_ pairs: [(Int64, Int64)]) throws -> Int {
        guard !pairs.isEmpty else { return 0 }
        return try write { db in
            try db.transaction {
                var added = 0
                for (a, b) in pairs {
                    for (from, to) in [(a, b), (b, a)] {
                        try db.prepare("INSERT OR IGNORE INTO mentions(entity_id, cube_rowid) SELECT ?, cube_rowid FROM mentions WHERE entity_id = ?")
                            .run(.int(to), .int(from))
                        added += Int(try db.scalarInt("SELECT changes()") ?? 0)
                    }
                }
                return added
            }
        }
    }
}
