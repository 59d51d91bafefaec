import MemCube

extension SQLiteStore {
    /// Records the entities a cube mentions (inside the add/update transaction).
    func insertMentions(_ db: Connection, key: Int64, namespace: String, _ entities: [Entity]) throws {
        for entity in entities {
            let ids = try db.prepare("""
                INSERT INTO entities(namespace, key, kind, display) VALUES (?, ?, ?, ?)
                ON CONFLICT(namespace, key, kind) DO UPDATE SET display = entities.display RETURNING id
                """).query([.text(namespace), .text(entity.key), .text(entity.kind.rawValue), .text(entity.display)]) {
                $0.int64(0)
            }
            guard let id = ids.first else { continue }
            try db.prepare("INSERT OR IGNORE INTO mentions(entity_id, cube_rowid) VALUES (?, ?)").run(.int(id), .int(key))
        }
    }

    /// Session order (`next` from the session's previous cube) and `derived`
    /// edges from the cubes this one derives from.
    func insertStructuralEdges(_ db: Connection, key: Int64, cube: MemCube) throws {
        let insert = "INSERT OR IGNORE INTO edges(src, dst, type, weight, created_at) VALUES (?, ?, ?, 1, ?)"
        if let session = cube.session, let previous = try db.scalarInt(
            "SELECT rowid FROM cubes WHERE namespace = ? AND session = ? AND rowid < ? ORDER BY rowid DESC LIMIT 1",
            .text(cube.namespace), .text(session), .int(key))
        {
            try db.prepare(insert).run(.int(previous), .int(key), .text("next"), .int(cube.createdAt.millis))
        }
        for source in cube.provenance.derivedFrom {
            if let from = try db.scalarInt(
                "SELECT rowid FROM cubes WHERE id = ? AND namespace = ?", .text(source.rawValue), .text(cube.namespace))
            {
                try db.prepare(insert).run(.int(from), .int(key), .text("derived"), .int(cube.createdAt.millis))
            }
        }
    }

    public func link(
        namespace: String, from: CubeID, to: CubeID, type: String, weight: Double, provenance: Provenance, at: Timestamp
    ) throws {
        try write { db in
            try db.transaction {
                let source = try loadForWrite(db, namespace: namespace, id: from)
                let target = try loadForWrite(db, namespace: namespace, id: to)
                try db.prepare("""
                    INSERT INTO edges(src, dst, type, weight, created_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(src, type, dst) DO UPDATE SET weight = excluded.weight
                    """).run(.int(source.key), .int(target.key), .text(type), .double(weight), .int(at.millis))
                var record = provenance
                record.operation = .link
                try audit(db, namespace, from, record, version: nil, at: at)
            }
        }
    }

    public func neighbors(keys: [Int64]) throws -> [Int64: [Neighbor]] {
        guard !keys.isEmpty else { return [:] }
        let list = SQLList.sql
        let values = [SQLList.ints(keys)]
        return try read { db in
            var result: [Int64: [Neighbor]] = [:]
            try db.readTransaction {
                for row in try db.prepare("SELECT src, dst, type, weight FROM edges WHERE src IN \(list)")
                    .query(values, row: { ($0.int64(0), $0.int64(1), $0.text(2) ?? "", $0.double(3)) })
                {
                    result[row.0, default: []].append(Neighbor(key: row.1, type: row.2, weight: row.3, outgoing: true))
                }
                for row in try db.prepare("SELECT dst, src, type, weight FROM edges WHERE dst IN \(list)")
                    .query(values, row: { ($0.int64(0), $0.int64(1), $0.text(2) ?? "", $0.double(3)) })
                {
                    result[row.0, default: []].append(Neighbor(key: row.1, type: row.2, weight: row.3, outgoing: false))
                }
            }
            return result
        }
    }

    public func entities(ofKeys keys: [Int64]) throws -> [Int64: [EntityStat]] {
        guard !keys.isEmpty else { return [:] }
        let list = SQLList.sql
        return try read { db in
            var result: [Int64: [EntityStat]] = [:]
            for (key, stat) in try db.prepare("""
                SELECT m.cube_rowid, e.id, e.key, e.kind, e.display,
                  (SELECT count(*) FROM mentions m2 WHERE m2.entity_id = e.id)
                FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE m.cube_rowid IN \(list)
                """).query([SQLList.ints(keys)], row: { row in (row.int64(0), Self.entityStat(row, from: 1)) })
            {
                result[key, default: []].append(stat)
            }
            return result
        }
    }

    public func findEntities(namespace: String, keys: [String]) throws -> [EntityStat] {
        guard !keys.isEmpty else { return [] }
        let list = SQLList.sql
        return try read { db in
            try db.prepare("""
                SELECT e.id, e.key, e.kind, e.display, (SELECT count(*) FROM mentions m WHERE m.entity_id = e.id)
                FROM entities e WHERE e.namespace = ? AND e.key IN \(list)
                """).query([.text(namespace), SQLList.strings(keys)]) { Self.entityStat($0, from: 0) }
        }
    }

    public func mentions(entityIDs: [Int64], limit: Int) throws -> [Int64: [Int64]] {
        try read { db in
            var result: [Int64: [Int64]] = [:]
            let statement = "SELECT cube_rowid FROM mentions WHERE entity_id = ? ORDER BY cube_rowid DESC LIMIT ?"
            for id in entityIDs {
                result[id] = try db.prepare(statement).query([.int(id), .int(Int64(limit))]) { $0.int64(0) }
            }
            return result
        }
    }

    static func entityStat(_ row: Statement, from c: Int32) -> EntityStat {
        EntityStat(
            id: row.int64(c),
            entity: Entity(
                key: row.text(c + 1) ?? "", display: row.text(c + 3) ?? "",
                kind: Entity.Kind(rawValue: row.text(c + 2) ?? "") ?? .name),
            mentions: row.int(c + 4))
    }
}
