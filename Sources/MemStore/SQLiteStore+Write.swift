import MemCube

extension SQLiteStore {
    static let insertCubeSQL = """
        INSERT INTO cubes(id, namespace, kind, agent, session, text, tags, attributes, importance,
          version, state, tier, occurred_at, created_at, updated_at, valid_from, valid_to,
          expires_at, source, derived_from, origin, content, blob, speaker)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Inserts the cubes, their first versions, vectors, mentions, edges and audit
    /// rows in one transaction: all are stored, or none.
    public func add(_ items: [NewCube], afterCommit: ([StoredCube]) -> Void) throws -> [StoredCube] {
        try write { db in
            let stored = try db.transaction {
                var stored: [StoredCube] = []
                stored.reserveCapacity(items.count)
                for item in items {
                    let c = item.cube
                    try db.prepare(Self.insertCubeSQL).run([
                        .text(c.id.rawValue), .text(c.namespace), .text(c.kind.rawValue),
                        .optional(c.agent), .optional(c.session), .optional(c.text),
                        .text(RowCoding.json(c.tags)), .text(RowCoding.json(c.attributes)),
                        .double(c.importance), .int(Int64(c.version)), .text(c.state.rawValue),
                        .text(c.tier.rawValue), .optional(c.occurredAt?.millis), .int(c.createdAt.millis),
                        .int(c.updatedAt.millis), .optional(c.validFrom?.millis),
                        .optional(c.validTo?.millis), .optional(c.expiresAt?.millis),
                        .optional(c.provenance.source.map { RowCoding.json($0) }),
                        .text(RowCoding.json(c.provenance.derivedFrom)),
                        .text(c.provenance.operation.rawValue),
                        .optional(c.content.map { RowCoding.json($0) }), .optional(c.content?.sha256), .optional(c.speaker),
                    ])
                    let key = db.lastInsertRowID
                    try db.prepare(RowCoding.insertVersionSQL)
                        .run(RowCoding.versionValues(key: key, CubeVersion(of: c, at: c.createdAt)))
                    if let embedding = item.embedding {
                        try insertVector(db, key: key, embedding)
                    }
                    try audit(db, c.namespace, c.id, c.provenance, version: c.version, at: c.createdAt)
                    try insertMentions(db, key: key, namespace: c.namespace, item.entities)
                    try insertStructuralEdges(db, key: key, cube: c)
                    stored.append(StoredCube(key: key, cube: c))
                }
                return stored
            }
            afterCommit(stored)
            return stored
        }
    }

    public func update(
        namespace: String, id: CubeID, change: CubeChange, expectedVersion: Int?,
        provenance: Provenance, at: Timestamp, afterCommit: (StoredCube) -> Void
    ) throws -> StoredCube {
        try write { db in
            let updated = try db.transaction {
                let current = try loadForWrite(db, namespace: namespace, id: id)
                if let expectedVersion, expectedVersion != current.cube.version {
                    throw StoreError.versionConflict(id, expected: expectedVersion, actual: current.cube.version)
                }
                guard current.cube.state == .active else {
                    throw StoreError.invalidState(id, state: current.cube.state, operation: "update")
                }
                if let expiresAt = current.cube.expiresAt, expiresAt <= at {
                    throw StoreError.expired(id)
                }
                var revision = CubeRevision(of: current.cube, provenance: provenance)
                if let text = change.text { revision.text = text }
                if let tags = change.tags { revision.tags = tags }
                if let attributes = change.attributes { revision.attributes = attributes }
                if let importance = change.importance { revision.importance = importance }
                if let occurredAt = change.occurredAt { revision.occurredAt = occurredAt }
                if let session = change.session { revision.session = session }
                if let expiresAt = change.expiresAt { revision.expiresAt = expiresAt }
                if let text = change.text, text != current.cube.text {
                    revision.embedding = change.embedding
                    revision.entities = change.entities
                }
                return try writeRevision(db, current, revision, at: at)
            }
            cache.invalidate([updated.key])
            afterCommit(updated)
            return updated
        }
    }

    public func forget(
        namespace: String, ids: [CubeID], purge: Bool, provenance: Provenance, at: Timestamp,
        afterCommit: ([Int64]) -> Void
    ) throws -> Int {
        try forget(namespace: namespace, purge: purge, provenance: provenance, at: at, afterCommit: afterCommit) { db in
            try Set(ids).sorted().map { id in try loadForWrite(db, namespace: namespace, id: id) }
        }.changed
    }

    public func forget(
        namespace: String, matching filter: CubeFilter, purge: Bool, provenance: Provenance, at: Timestamp,
        afterCommit: ([Int64]) -> Void
    ) throws -> (matched: Int, changed: Int) {
        try forget(namespace: namespace, purge: purge, provenance: provenance, at: at, afterCommit: afterCommit) { db in
            var sql = "SELECT \(RowCoding.cubeColumns) FROM cubes c WHERE c.namespace = ?"
            var values: [SQLValue] = [.text(namespace)]
            FilterSQL.append(filter, now: at, to: &sql, &values)
            return try db.prepare(sql + " ORDER BY c.id").query(values, row: RowCoding.cube)
        }
    }

    /// Forgets or purges the cubes `select` picks inside the write transaction.
    private func forget(
        namespace: String, purge: Bool, provenance: Provenance, at: Timestamp, afterCommit: ([Int64]) -> Void,
        select: (Connection) throws -> [StoredCube]
    ) throws -> (matched: Int, changed: Int) {
        var leavingWorking: [StoredCube] = []
        var requested = 0  // the memories asked for; `changed` adds summaries a purge took with them
        var matched = 0
        return try write { db in
            let changed: [Int64] = try db.transaction {
                let targets = try select(db)
                matched = targets.count
                leavingWorking = targets.filter { $0.cube.tier == .working && $0.cube.state == .active }
                var changed: [Int64] = []
                for target in targets {
                    let key = target.key
                    if purge {
                        let entityIDs = try db.prepare("SELECT entity_id FROM mentions WHERE cube_rowid = ?")
                            .query([.int(key)]) { $0.int64(0) }
                        try db.prepare("DELETE FROM cubes WHERE rowid = ?").run(.int(key))
                        // Entities are derived from the text: those only this memory named go too.
                        for id in entityIDs {
                            try db.prepare(
                                "DELETE FROM entities WHERE id = ? AND NOT EXISTS (SELECT 1 FROM mentions WHERE entity_id = ?)"
                            ).run(.int(id), .int(id))
                        }
                        if target.cube.content != nil { blobGarbage.store(true, ordering: .relaxed) }
                        var record = provenance
                        record.operation = .purge
                        try audit(db, namespace, target.cube.id, record, version: nil, at: at)
                        changed.append(key)
                        continue
                    }
                    guard target.cube.state != .forgotten else { continue }  // idempotent
                    var cube = target.cube
                    cube.state = .forgotten
                    cube.version += 1
                    cube.updatedAt = at
                    try db.prepare("UPDATE cubes SET state = 'forgotten', version = ?, updated_at = ? WHERE rowid = ?")
                        .run(.int(Int64(cube.version)), .int(at.millis), .int(key))
                    var versionRow = CubeVersion(of: cube, at: at)
                    versionRow.provenance = provenance
                    // .forget from clients; consolidation passes its own operation (consolidate:expire).
                    if provenance.operation == .purge { versionRow.provenance.operation = .forget }
                    try db.prepare(RowCoding.insertVersionSQL).run(RowCoding.versionValues(key: key, versionRow))
                    try db.prepare("DELETE FROM cube_vectors WHERE cube_rowid = ?").run(.int(key))
                    try audit(db, namespace, cube.id, versionRow.provenance, version: cube.version, at: at)
                    changed.append(key)
                }
                requested = changed.count
                if purge { changed += try purgeDerivedText(db, namespace: namespace, purged: targets, provenance: provenance, at: at) }
                return changed
            }
            if purge {
                // The purged text leaves the WAL too (secure_delete zeroes the freed pages
                // of the database file). Best effort: a long reader can delay it to the next.
                do { try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") } catch {}
            }
            cache.invalidate(changed)
            // Forgotten or purged, a working memory leaves RAM.
            let gone = Set(changed)
            for stored in leavingWorking where gone.contains(stored.key) {
                cache.setResident([stored.key], false)
                if stored.cube.kind == .activation, let sha = stored.cube.content?.sha256 { blobs.release(sha) }
            }
            afterCommit(changed)
            return (matched, requested)
        }
    }

    public func recordAccess(
        _ events: [AccessEvent], heat: @Sendable (Double, Timestamp?, Int, Timestamp) -> Double
    ) throws {
        guard !events.isEmpty else { return }
        try write { db in
            try db.transaction {
                for event in events {
                    let select = try db.prepare("SELECT heat, last_access FROM cubes WHERE rowid = ?")
                    let current = try select.query([.int(event.key)]) { row in
                        (row.double(0), row.optionalInt64(1).map(Timestamp.init(millis:)))
                    }
                    guard let (oldHeat, last) = current.first else { continue }  // purged meanwhile
                    let newHeat = heat(oldHeat, last, event.hits, event.at)
                    try db.prepare("""
                        UPDATE cubes SET access_count = access_count + ?, last_access = max(coalesce(last_access, 0), ?),
                          heat = ? WHERE rowid = ?
                        """).run(.int(Int64(event.hits)), .int(event.at.millis), .double(newHeat), .int(event.key))
                }
            }
            // Cached copies carry the old access figures.
            cache.invalidate(events.map(\.key))
        }
    }

    // MARK: - Helpers (inside the writer's transaction)

    /// What a purge takes with the memories' text, in its transaction:
    /// consolidation summaries derived from any purged memory (the next run
    /// writes them again from what is left), and every entity of the
    /// namespace no memory mentions any more (those of older versions too).
    /// Returns the keys of the summaries purged.
    private func purgeDerivedText(
        _ db: Connection, namespace: String, purged: [StoredCube], provenance: Provenance, at: Timestamp
    ) throws -> [Int64] {
        let ids = purged.map(\.cube.id.rawValue)
        let summaries = try db.prepare("""
            SELECT rowid, id FROM cubes
            WHERE namespace = ? AND origin = ? AND EXISTS (SELECT 1 FROM json_each(cubes.derived_from) d WHERE d.value IN \(SQLList.sql))
            """).query([.text(namespace), .text(Operation.consolidateSummarize.rawValue), SQLList.strings(ids)]) {
            ($0.int64(0), $0.text(1) ?? "")
        }
        var keys: [Int64] = []
        for (key, id) in summaries {
            guard let cubeID = CubeID(id) else { continue }
            try db.prepare("DELETE FROM cubes WHERE rowid = ?").run(.int(key))
            var record = provenance
            record.operation = .purge
            try audit(db, namespace, cubeID, record, version: nil, at: at)
            keys.append(key)
        }
        try db.prepare("DELETE FROM entities WHERE namespace = ? AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = entities.id)")
            .run(.text(namespace))
        return keys
    }

    /// The current row of a cube for a write; distinguishes purged from unknown.
    func loadForWrite(_ db: Connection, namespace: String, id: CubeID) throws -> StoredCube {
        let rows = try db.prepare("SELECT \(RowCoding.cubeColumns) FROM cubes c WHERE c.id = ? AND c.namespace = ?")
            .query([.text(id.rawValue), .text(namespace)], row: RowCoding.cube)
        guard let found = rows.first else { throw try missing(db, namespace: namespace, id: id) }
        return found
    }

    /// `purged` when the audit log remembers a purge of `id` in `namespace`, else `notFound`.
    func missing(_ db: Connection, namespace: String, id: CubeID) throws -> StoreError {
        let purged = try db.scalarInt(
            "SELECT count(*) FROM audit WHERE cube_id = ? AND namespace = ? AND operation = 'purge'",
            .text(id.rawValue), .text(namespace)) ?? 0
        return purged > 0 ? .purged(id) : .notFound(id)
    }

    func insertVector(_ db: Connection, key: Int64, _ embedding: Embedding) throws {
        try db.prepare("INSERT OR REPLACE INTO cube_vectors(cube_rowid, embedder, dim, vector) VALUES (?, ?, ?, ?)")
            .run(.int(key), .text(embedding.embedder), .int(Int64(embedding.vector.count)), .floats(embedding.vector))
    }

    /// One audit row; `id` nil for a namespace-wide change (a share), `detail` what it changed.
    func audit(
        _ db: Connection, _ namespace: String, _ id: CubeID?, _ provenance: Provenance, version: Int?,
        at: Timestamp, detail: String? = nil
    ) throws {
        try db.prepare("""
            INSERT INTO audit(at, namespace, cube_id, operation, version, agent, peer_uid, peer_pid, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run([
                .int(at.millis), .text(namespace), .text(id?.rawValue ?? ""), .text(provenance.operation.rawValue),
                .optional(version.map(Int64.init)), .optional(provenance.agent),
                .optional(provenance.peerUID.map(Int64.init)), .optional(provenance.peerPID.map(Int64.init)),
                .optional(detail),
            ])
    }
}
