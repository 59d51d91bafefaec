import MemCube

extension SQLiteStore {
    static let needingEmbeddingWhere = """
        FROM cubes c LEFT JOIN cube_vectors v ON v.cube_rowid = c.rowid
        WHERE c.state = 'active' AND c.text IS NOT NULL
          AND (v.cube_rowid IS NULL OR v.embedder != ? OR v.dim != ?)
        """

    public func cubesNeedingEmbedding(embedder: String, dimension: Int, afterKey: Int64, limit: Int) throws -> [EmbeddingTask] {
        try read { db in
            try db.prepare("""
                SELECT c.rowid, c.namespace, c.version, c.text, \(RowCoding.metaColumns)
                \(Self.needingEmbeddingWhere) AND c.rowid > ? ORDER BY c.rowid LIMIT ?
                """).query([.text(embedder), .int(Int64(dimension)), .int(afterKey), .int(Int64(limit))]) { row in
                EmbeddingTask(
                    key: row.int64(0), namespace: row.text(1) ?? "", version: row.int(2), text: row.text(3) ?? "",
                    meta: RowCoding.meta(row, from: 4))
            }
        }
    }

    public func countNeedingEmbedding(embedder: String, dimension: Int) throws -> Int {
        try read { db in
            Int(try db.scalarInt("SELECT count(*) \(Self.needingEmbeddingWhere)", .text(embedder), .int(Int64(dimension))) ?? 0)
        }
    }

    public func putEmbeddings(_ items: [EmbeddingResult], afterCommit: ([EmbeddingResult]) -> Void) throws -> Int {
        guard !items.isEmpty else { return 0 }
        return try write { db in
            let stored: [EmbeddingResult] = try db.transaction {
                var stored: [EmbeddingResult] = []
                for item in items {
                    let current = try db.scalarInt(
                        "SELECT count(*) FROM cubes WHERE rowid = ? AND version = ? AND state = 'active'",
                        .int(item.task.key), .int(Int64(item.task.version))) ?? 0
                    guard current == 1 else { continue }  // changed or forgotten meanwhile
                    try insertVector(db, key: item.task.key, item.embedding)
                    stored.append(item)
                }
                return stored
            }
            afterCommit(stored)
            return stored.count
        }
    }
}
