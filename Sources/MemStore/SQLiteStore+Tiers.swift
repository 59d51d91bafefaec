import MemCube

/// What the scheduler needs of one active memory.
/// Which active memories a scheduler tick can move at `now`, so it need
/// not read the others: those in the working tier; those that may be hot
/// enough to be promoted (heat decayed to now + weight × importance ≥
/// `promoteScore`, with the decay bounded from above in whole half-lives:
/// heat only decays between accesses); and active ones idle since
/// `idleBefore` whose importance alone leaves them under `archiveScore`.
public struct TierCandidates: Sendable, Hashable {
    public var now: Timestamp
    public var halfLifeSeconds: Double
    public var importanceWeight: Double
    public var promoteScore: Double
    public var archiveScore: Double
    public var idleBefore: Timestamp

    public init(
        now: Timestamp, halfLifeSeconds: Double, importanceWeight: Double, promoteScore: Double, archiveScore: Double,
        idleBefore: Timestamp
    ) {
        self.now = now
        self.halfLifeSeconds = halfLifeSeconds
        self.importanceWeight = importanceWeight
        self.promoteScore = promoteScore
        self.archiveScore = archiveScore
        self.idleBefore = idleBefore
    }
}

public struct TierRecord: Sendable, Hashable {
    public var key: Int64
    public var namespace: String
    public var id: CubeID
    public var tier: Tier
    public var heat: Double
    public var lastAccess: Timestamp?
    public var createdAt: Timestamp
    public var importance: Double
    public var pinned: Bool
    /// Text, vector and (activations) payload bytes: its cost in RAM.
    public var bytes: Int

    public init(
        key: Int64, namespace: String, id: CubeID, tier: Tier, heat: Double, lastAccess: Timestamp?, createdAt: Timestamp,
        importance: Double, pinned: Bool, bytes: Int
    ) {
        self.key = key
        self.namespace = namespace
        self.id = id
        self.tier = tier
        self.heat = heat
        self.lastAccess = lastAccess
        self.createdAt = createdAt
        self.importance = importance
        self.pinned = pinned
        self.bytes = bytes
    }
}

/// A tier change to apply, and why.
public struct TierChange: Sendable, Hashable {
    public var key: Int64
    public var from: Tier
    public var to: Tier
    public var reason: String

    public init(key: Int64, from: Tier, to: Tier, reason: String) {
        self.key = key
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// One recorded move.
public struct TierEvent: Sendable, Hashable {
    public var at: Timestamp
    public var namespace: String
    public var id: String
    public var from: Tier
    public var to: Tier
    public var reason: String
}

extension SQLiteStore {
    public func tierRecords(_ candidates: TierCandidates?) throws -> [TierRecord] {
        var condition = ""
        var arguments: [SQLValue] = []
        if let candidates {
            // A margin keeps the filter a superset of what the planner computes in Swift.
            // Heat at least this many half-lives old is at most heat / 2^k now: an upper bound of
            // the decayed heat in plain SQL (no exp2 there).
            let h = Int64((candidates.halfLifeSeconds * 1000).rounded(.up)), now = candidates.now.millis
            condition = """
                 AND (c.tier = 'working'
                  OR c.heat * (CASE WHEN c.last_access IS NULL OR c.last_access > ? THEN 1.0
                    WHEN c.last_access > ? THEN 0.5 WHEN c.last_access > ? THEN 0.25
                    WHEN c.last_access > ? THEN 0.0625 ELSE 0.00390625 END) + ? * c.importance >= ?
                  OR (c.tier = 'active' AND coalesce(c.last_access, c.created_at) <= ? AND ? * c.importance < ?))
                """
            arguments = [
                .int(now - h), .int(now - 2 * h), .int(now - 4 * h), .int(now - 8 * h),
                .double(candidates.importanceWeight), .double(candidates.promoteScore - 1e-9), .int(candidates.idleBefore.millis),
                .double(candidates.importanceWeight), .double(candidates.archiveScore + 1e-9),
            ]
        }
        return try read { db in
            try db.prepare("""
                SELECT c.rowid, c.namespace, c.id, c.tier, c.heat, c.last_access, c.created_at, c.importance, c.pinned,
                  coalesce(length(CAST(c.text AS BLOB)), 0)
                  + coalesce((SELECT length(v.vector) FROM cube_vectors v WHERE v.cube_rowid = c.rowid), 0)
                  + CASE WHEN c.kind = 'activation' THEN coalesce(json_extract(c.content, '$.size'), 0) ELSE 0 END
                FROM cubes c WHERE c.state = 'active'\(condition)
                """).query(arguments) { row in
                TierRecord(
                    key: row.int64(0), namespace: row.text(1) ?? "", id: CubeID(row.text(2) ?? "") ?? .generate(at: 0),
                    tier: Tier(rawValue: row.text(3) ?? "") ?? .active, heat: row.double(4),
                    lastAccess: row.optionalInt64(5).map(Timestamp.init(millis:)), createdAt: Timestamp(millis: row.int64(6)),
                    importance: row.double(7), pinned: row.int(8) != 0, bytes: row.int(9))
            }
        }
    }

    /// Applies the changes whose memory is still active and in its `from`
    /// tier (a change decided on stale state is skipped), records each in the
    /// event log, and hands the applied ones to `afterCommit`.
    @discardableResult
    public func applyTierChanges(_ changes: [TierChange], at: Timestamp, afterCommit: ([TierChange]) -> Void = { _ in }) throws -> [TierChange] {
        guard !changes.isEmpty else { return [] }
        return try write { db in
            let applied: [TierChange] = try db.transaction {
                var applied: [TierChange] = []
                for change in changes {
                    try db.prepare("UPDATE cubes SET tier = ? WHERE rowid = ? AND tier = ? AND state = 'active'")
                        .run(.text(change.to.rawValue), .int(change.key), .text(change.from.rawValue))
                    guard db.changes == 1 else { continue }
                    try db.prepare("""
                        INSERT INTO scheduler_events(at, namespace, cube_id, from_tier, to_tier, reason)
                        SELECT ?, namespace, id, ?, ?, ? FROM cubes WHERE rowid = ?
                        """).run(.int(at.millis), .text(change.from.rawValue), .text(change.to.rawValue), .text(change.reason), .int(change.key))
                    applied.append(change)
                }
                return applied
            }
            cache.invalidate(applied.map(\.key))
            cache.setResident(applied.filter { $0.to == .working }.map(\.key), true)
            let leaving = applied.filter { $0.from == .working && $0.to != .working }.map(\.key)
            cache.setResident(leaving, false)
            try? holdPayloads(leaving, false)
            afterCommit(applied)
            return applied
        }
    }

    /// Keeps these memories in RAM (the working tier) or lets them go; the
    /// ones kept are loaded now.
    public func setResident(_ keys: [Int64], _ resident: Bool) throws {
        cache.setResident(keys, resident)
        try holdPayloads(keys, resident)
        guard resident, !keys.isEmpty else { return }
        let epoch = cache.epoch
        for chunk in stride(from: 0, to: keys.count, by: 500) {
            let part = Array(keys[chunk..<min(chunk + 500, keys.count)])
            let rows = try read { db in
                try db.prepare("SELECT \(RowCoding.cubeColumns) FROM cubes c WHERE c.rowid IN \(SQLList.sql) AND c.state = 'active'")
                    .query([SQLList.ints(part)], row: RowCoding.cube)
            }
            cache.fill(Dictionary(rows.map { ($0.key, $0.cube) }, uniquingKeysWith: { a, _ in a }), epoch: epoch)
        }
    }

    /// The working tier's residency: memories marked, loaded, and their bytes
    /// in RAM (rows and activation payloads).
    public var residentUsage: (marked: Int, loaded: Int, bytes: Int) {
        let rows = cache.residentUsage
        return (rows.marked, rows.loaded, rows.bytes + blobs.heldUsage.bytes)
    }

    /// Activation payloads of the working tier are held in RAM too.
    func holdPayloads(_ keys: [Int64], _ resident: Bool) throws {
        guard !keys.isEmpty else { return }
        let hashes = try read { db in
            try db.prepare("SELECT blob FROM cubes WHERE rowid IN \(SQLList.sql) AND kind = 'activation' AND blob IS NOT NULL")
                .query([SQLList.ints(keys)]) { $0.text(0) ?? "" }
        }
        for sha in hashes {
            guard resident else { blobs.release(sha); continue }
            do {
                try blobs.hold(sha)
            } catch let error as BlobError where error.isMissing {
                continue  // a damaged memory (checkPayloadFiles marks it): the rest of the working set loads
            }
        }
    }

    /// Pins or unpins an active memory; returns its key and tier.
    public func setPinned(namespace: String, id: CubeID, pinned: Bool) throws -> (key: Int64, tier: Tier) {
        try write { db in
            let current = try loadForWrite(db, namespace: namespace, id: id)
            guard current.cube.state == .active else {
                throw StoreError.invalidState(id, state: current.cube.state, operation: pinned ? "pin" : "unpin")
            }
            try db.prepare("UPDATE cubes SET pinned = ? WHERE rowid = ?").run(.int(pinned ? 1 : 0), .int(current.key))
            return (current.key, current.cube.tier)
        }
    }

    public func isPinned(key: Int64) throws -> Bool {
        try read { db in (try db.scalarInt("SELECT pinned FROM cubes WHERE rowid = ?", .int(key)) ?? 0) != 0 }
    }

    /// The newest events first.
    public func tierEvents(limit: Int) throws -> [TierEvent] {
        try read { db in
            try db.prepare("SELECT at, namespace, cube_id, from_tier, to_tier, reason FROM scheduler_events ORDER BY id DESC LIMIT ?")
                .query([.int(Int64(limit))]) { row in
                    TierEvent(
                        at: Timestamp(millis: row.int64(0)), namespace: row.text(1) ?? "", id: row.text(2) ?? "",
                        from: Tier(rawValue: row.text(3) ?? "") ?? .active, to: Tier(rawValue: row.text(4) ?? "") ?? .active,
                        reason: row.text(5) ?? "")
                }
        }
    }
}

extension SQLiteStore {
    /// Active memories whose TTL has passed, in key order after `afterKey`, in `namespace` or all.
    public func expiredCubes(namespace: String?, now: Timestamp, afterKey: Int64, limit: Int) throws -> [(key: Int64, namespace: String, id: CubeID)] {
        var sql = "SELECT rowid, namespace, id FROM cubes WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= ? AND rowid > ?"
        var values: [SQLValue] = [.int(now.millis), .int(afterKey)]
        if let namespace {
            sql += " AND namespace = ?"
            values.append(.text(namespace))
        }
        sql += " ORDER BY rowid LIMIT ?"
        values.append(.int(Int64(limit)))
        return try read { db in
            try db.prepare(sql).query(values) { row in (row.int64(0), row.text(1) ?? "", CubeID(row.text(2) ?? "") ?? .generate(at: 0)) }
        }
    }
}
