import Foundation
import MemCube
import MemJSON

/// One memory as exported and imported: every stored column of its row and
/// of each of its versions (by column name, rowids left out), the entities
/// it mentions, and its payload's bytes when it has one.
public struct TransferRecord: Sendable, Hashable {
    public var memory: [String: JSONValue]
    public var versions: [[String: JSONValue]]
    public var entities: [Entity]
    public var payload: [UInt8]?

    public init(memory: [String: JSONValue], versions: [[String: JSONValue]], entities: [Entity], payload: [UInt8]?) {
        self.memory = memory
        self.versions = versions
        self.entities = entities
        self.payload = payload
    }
}

/// A link between two memories of the namespace, by id.
public struct TransferLink: Sendable, Hashable {
    public var from: CubeID
    public var to: CubeID
    public var type: String
    public var weight: Double
    public var createdAt: Int64
    public var runID: String?

    public init(from: CubeID, to: CubeID, type: String, weight: Double, createdAt: Int64, runID: String?) {
        self.from = from
        self.to = to
        self.type = type
        self.weight = weight
        self.createdAt = createdAt
        self.runID = runID
    }
}

/// What an import refused in one record: the column path and why.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    public var index: Int
    public var field: String
    public var message: String
    public var description: String { "records[\(index)].\(field) \(message)" }

    public init(index: Int, field: String, _ message: String) {
        self.index = index
        self.field = field
        self.message = message
    }
}

/// Export and import of whole memories with their histories (memory.export,
/// memory.import): rows are copied column by column, so nothing a memory
/// holds is lost on the way and an export of an import is byte-identical.
/// Derived data is rebuilt on import: vectors by the importer's embedder,
/// keyword postings, the audit log's `import` entry.
extension SQLiteStore {
    /// One column of a table as an import checks it: its declared type,
    /// whether it may be null, and whether a record must give it (NOT NULL
    /// without a default).
    struct TransferColumn {
        var name: String
        var type: String
        var notNull: Bool
        var required: Bool
    }

    /// A table's columns (rowid and link columns left out), read from the schema itself.
    func transferColumns(_ db: Connection, _ table: String) throws -> [TransferColumn] {
        try db.prepare("SELECT name, type, \"notnull\", dflt_value IS NULL FROM pragma_table_info(?)").query([.text(table)]) {
            TransferColumn(name: $0.text(0) ?? "", type: ($0.text(1) ?? "").uppercased(), notNull: $0.int(2) != 0, required: $0.int(2) != 0 && $0.int(3) != 0)
        }.filter { $0.name != "rowid" && $0.name != "cube_rowid" }
    }

    static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .text(let s): .string(s)
        case .blob(let b): .string(Data(b).base64EncodedString())
        }
    }

    /// Up to `limit` memories of `namespace` after `afterKey` (rowid order),
    /// each with every version, its entities and (`payloads`) its payload;
    /// fewer once the payloads read pass `payloadBudget` bytes.
    public func exportRecords(
        namespace: String, afterKey: Int64, limit: Int, payloads: Bool, payloadBudget: Int
    ) throws -> [(key: Int64, record: TransferRecord)] {
        let rows: [(Int64, [String: JSONValue], String?)] = try read { db in
            try db.readTransaction {
                let columns = try transferColumns(db, "cubes").map(\.name)
                let sql = "SELECT rowid, \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM cubes WHERE namespace = ? AND rowid > ? ORDER BY rowid LIMIT ?"
                return try db.prepare(sql).query([.text(namespace), .int(afterKey), .int(Int64(limit))]) { row in
                    var memory: [String: JSONValue] = [:]
                    for (i, name) in columns.enumerated() { memory[name] = Self.json(row.value(Int32(i + 1))) }
                    return (row.int64(0), memory, memory["blob"]?.stringValue)
                }
            }
        }
        guard !rows.isEmpty else { return [] }
        let keys = rows.map(\.0)
        let (versions, entities) = try read { db in
            try db.readTransaction { () -> ([Int64: [[String: JSONValue]]], [Int64: [Entity]]) in
                let columns = try transferColumns(db, "cube_versions").map(\.name)
                var versions: [Int64: [[String: JSONValue]]] = [:]
                let sql = "SELECT cube_rowid, \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM cube_versions WHERE cube_rowid IN \(SQLList.sql) ORDER BY cube_rowid, version"
                for (key, version) in try db.prepare(sql).query([SQLList.ints(keys)], row: { row -> (Int64, [String: JSONValue]) in
                    var version: [String: JSONValue] = [:]
                    for (i, name) in columns.enumerated() { version[name] = Self.json(row.value(Int32(i + 1))) }
                    return (row.int64(0), version)
                }) { versions[key, default: []].append(version) }
                var entities: [Int64: [Entity]] = [:]
                for (key, entity) in try db.prepare("""
                    SELECT m.cube_rowid, e.key, e.display, e.kind FROM mentions m JOIN entities e ON e.id = m.entity_id
                    WHERE m.cube_rowid IN \(SQLList.sql) ORDER BY m.cube_rowid, e.kind, e.key
                    """).query([SQLList.ints(keys)], row: { row -> (Int64, Entity?) in
                        (row.int64(0), Entity.Kind(rawValue: row.text(3) ?? "").map { Entity(key: row.text(1) ?? "", display: row.text(2) ?? "", kind: $0) })
                    })
                {
                    if let entity { entities[key, default: []].append(entity) }
                }
                return (versions, entities)
            }
        }
        // Payloads are read as the page fills: the page ends after the one that passes the budget.
        var page: [(key: Int64, record: TransferRecord)] = [], bytes = 0
        for (key, memory, blob) in rows {
            guard bytes <= payloadBudget else { break }
            let payload = try blob.flatMap { sha in payloads && blobs.exists(sha) ? try blobs.read(sha) : nil }
            bytes += payload?.count ?? 0
            page.append((key, TransferRecord(memory: memory, versions: versions[key] ?? [], entities: entities[key] ?? [], payload: payload)))
        }
        return page
    }

    /// Up to `limit` links whose source is a memory of `namespace` after `afterKey`.
    public func exportLinks(namespace: String, afterKey: Int64, limit: Int) throws -> (links: [TransferLink], lastKey: Int64?) {
        let rows = try read { db in
            try db.prepare("""
                SELECT s.rowid, s.id, d.id, e.type, e.weight, e.created_at, e.run_id FROM edges e
                JOIN cubes s ON s.rowid = e.src JOIN cubes d ON d.rowid = e.dst
                WHERE s.namespace = ? AND s.rowid > ? ORDER BY s.rowid, e.type, d.rowid
                """).query([.text(namespace), .int(afterKey)]) { row in
                (row.int64(0), TransferLink(
                    from: CubeID(row.text(1) ?? "") ?? CubeID.generate(at: 0), to: CubeID(row.text(2) ?? "") ?? CubeID.generate(at: 0),
                    type: row.text(3) ?? "", weight: row.double(4), createdAt: row.int64(5), runID: row.text(6)))
            }
        }
        // Whole memories per page: all links of the last source memory in it.
        var page: [(Int64, TransferLink)] = []
        for row in rows {
            if page.count >= limit, row.0 != page.last?.0 { break }
            page.append(row)
        }
        return (page.map(\.1), page.last?.0)
    }

    /// Stores exported memories into `namespace` with their ids, versions
    /// and entities, each row as exported; a memory whose id is already
    /// stored is skipped. `vectors` (by id) are stored as the importer's
    /// embeddings. Checks every record before writing any (a `TransferError`
    /// names the first bad field); one transaction.
    public func importRecords(
        namespace: String, _ records: [TransferRecord], vectors: [CubeID: Embedding], peer: Provenance, at: Timestamp,
        afterCommit: ([StoredCube]) -> Void
    ) throws -> (imported: [StoredCube], skipped: [CubeID]) {
        try write { db in
            let cubeColumns = try transferColumns(db, "cubes")
            let versionColumns = try transferColumns(db, "cube_versions")
            var rows: [[String: SQLValue]] = [], versionRows: [[[String: SQLValue]]] = []
            for (i, record) in records.enumerated() {
                var memory = record.memory
                memory["namespace"] = .string(namespace)
                rows.append(try Self.checkedRow(memory, cubeColumns, index: i, prefix: "memory"))
                versionRows.append(try record.versions.enumerated().map { j, version in
                    try Self.checkedRow(version, versionColumns, index: i, prefix: "versions[\(j)]")
                })
                try Self.checkRecord(rows[i], versionRows[i], index: i)
            }
            var imported: [StoredCube] = [], skipped: [CubeID] = []
            try db.transaction {
                for (i, record) in records.enumerated() {
                    guard case .text(let text)? = rows[i]["id"], let id = CubeID(text) else { continue }
                    if let there = try db.prepare("SELECT namespace FROM cubes WHERE id = ?").query([.text(id.rawValue)], row: { $0.text(0) ?? "" }).first {
                        guard there == namespace else {
                            throw TransferError(index: i, field: "memory.id", "is already stored in another namespace of this memosd (ids are unique per store); import into a fresh memosd, or into that namespace")
                        }
                        skipped.append(id)
                        continue
                    }
                    var row = rows[i]
                    if case .text(let sha)? = row["blob"] {
                        if let payload = record.payload {
                            let stored = try blobs.put(payload)
                            guard stored.sha256 == sha else {
                                throw TransferError(index: i, field: "payload", "does not hash to the memory's blob \(sha)")
                            }
                        }
                        row["damaged"] = blobs.exists(sha) ? .null : .text("its payload file (\(sha)) was not in the import")
                    }
                    let names = cubeColumns.map(\.name).filter { row[$0] != nil }
                    let key = try db.prepare("""
                        INSERT INTO cubes(\(names.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", "))) RETURNING rowid
                        """).query(names.map { row[$0] ?? .null }) { $0.int64(0) }.first ?? 0
                    for version in versionRows[i] {
                        let vnames = versionColumns.map(\.name).filter { version[$0] != nil }
                        try db.prepare("""
                            INSERT INTO cube_versions(cube_rowid, \(vnames.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (?, \(vnames.map { _ in "?" }.joined(separator: ", ")))
                            """).run([.int(key)] + vnames.map { version[$0] ?? .null })
                    }
                    try insertMentions(db, key: key, namespace: namespace, record.entities)
                    if let embedding = vectors[id] { try insertVector(db, key: key, embedding) }
                    var provenance = peer
                    provenance.operation = .import
                    try audit(db, namespace, id, provenance, version: nil, at: at, detail: "import")
                    let stored = try db.prepare("SELECT \(RowCoding.cubeColumns) FROM cubes c WHERE c.rowid = ?").query([.int(key)], row: RowCoding.cube)
                    imported += stored
                }
            }
            cache.invalidate(imported.map(\.key))
            afterCommit(imported)
            return (imported, skipped)
        }
    }

    /// Which of `values` are already stored in `namespace` as `source.<field>`
    /// of a memory whose `source.type` is `type`: a Mem0 import (field `id`)
    /// and a conversation ingest (`message_id`, `digest`) skip them.
    /// `field` is one of this code's names, never a client's.
    public func storedSourceValues(namespace: String, type: String, field: String, values: [String]) throws -> Set<String> {
        guard !values.isEmpty else { return [] }
        precondition(field.allSatisfy { $0.isLetter || $0 == "_" }, "a source field name of this code")
        return try read { db in
            Set(try db.prepare("""
                SELECT json_extract(source, '$.\(field)') FROM cubes WHERE namespace = ? AND source IS NOT NULL
                AND json_valid(source) AND json_extract(source, '$.type') = ? AND json_extract(source, '$.\(field)') IN \(SQLList.sql)
                """).query([.text(namespace), .text(type), SQLList.strings(values)]) { $0.text(0) ?? "" })
        }
    }

    /// Stores links between memories of `namespace`; a link whose ends are
    /// not both there is skipped (returned).
    public func importLinks(namespace: String, _ links: [TransferLink]) throws -> (imported: Int, skipped: [TransferLink]) {
        try write { db in
            var imported = 0, skipped: [TransferLink] = []
            try db.transaction {
                for link in links {
                    guard let src = try db.scalarInt("SELECT rowid FROM cubes WHERE id = ? AND namespace = ?", .text(link.from.rawValue), .text(namespace)),
                          let dst = try db.scalarInt("SELECT rowid FROM cubes WHERE id = ? AND namespace = ?", .text(link.to.rawValue), .text(namespace))
                    else {
                        skipped.append(link)
                        continue
                    }
                    try db.prepare("INSERT OR REPLACE INTO edges(src, dst, type, weight, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?)")
                        .run(.int(src), .int(dst), .text(link.type), .double(link.weight), .int(link.createdAt), .optional(link.runID))
                    imported += 1
                }
            }
            return (imported, skipped)
        }
    }

    /// A row from its JSON form: known columns only, values of the column's type.
    static func checkedRow(
        _ values: [String: JSONValue], _ columns: [TransferColumn], index: Int, prefix: String
    ) throws -> [String: SQLValue] {
        let known = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0) })
        var row: [String: SQLValue] = [:]
        for (name, value) in values {
            guard let column = known[name] else {
                throw TransferError(index: index, field: "\(prefix).\(name)", "is not a column of this memosd's store (export and import with the same version)")
            }
            switch (column.type, value) {
            case (_, .null):
                guard !column.notNull else { throw TransferError(index: index, field: "\(prefix).\(name)", "may not be null") }
                row[name] = .null
            case ("INTEGER", .int(let i)): row[name] = .int(i)
            case ("REAL", .double(let d)) where d.isFinite: row[name] = .double(d)
            case ("REAL", .int(let i)): row[name] = .double(Double(i))
            case ("TEXT", .string(let s)): row[name] = .text(s)
            default:
                throw TransferError(index: index, field: "\(prefix).\(name)", "must be \(column.type == "TEXT" ? "a string" : column.type == "REAL" ? "a finite number" : "an integer") (got \(value))")
            }
        }
        for column in columns where column.required && row[column.name] == nil {
            throw TransferError(index: index, field: "\(prefix).\(column.name)", "is required")
        }
        return row
    }

    /// The values a memory's meaning depends on: a valid id, kind, state,
    /// tier, JSON columns that parse, versions 1...version.
    static func checkRecord(_ row: [String: SQLValue], _ versions: [[String: SQLValue]], index: Int) throws {
        func text(_ name: String) -> String? { if case .text(let s)? = row[name] { return s } else { return nil } }
        guard let id = text("id"), CubeID(id) != nil else { throw TransferError(index: index, field: "memory.id", "must be a memory id (26 characters, Crockford base32)") }
        guard Kind(rawValue: text("kind") ?? "") != nil else { throw TransferError(index: index, field: "memory.kind", "must be plaintext, activation or parameter") }
        guard CubeState(rawValue: text("state") ?? "") != nil else { throw TransferError(index: index, field: "memory.state", "must be active, superseded or forgotten") }
        guard Tier(rawValue: text("tier") ?? "") != nil else { throw TransferError(index: index, field: "memory.tier", "must be working, active or archive") }
        for name in ["tags", "attributes", "derived_from", "source", "content"] {
            guard let value = text(name) else { continue }
            guard (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) != nil else {
                throw TransferError(index: index, field: "memory.\(name)", "must hold JSON text")
            }
        }
        if case .int(let version)? = row["version"] {
            let numbers = versions.compactMap { v -> Int64? in if case .int(let n)? = v["version"] { return n } else { return nil } }
            guard version >= 1, numbers == Array(1...version) else {
                throw TransferError(index: index, field: "versions", "must hold versions 1 to \(version), in order")
            }
        }
    }
}
