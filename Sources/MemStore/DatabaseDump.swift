/// Everything a database stores, as one canonical text: every table in name
/// order (SQLite's own and FTS5's virtual tables aside: their shadow tables
/// are dumped), every row in rowid order, every column. Two dumps are equal
/// exactly when the stored data is; the protocol fuzzer compares them to
/// prove that refused requests change nothing.
///
/// `skipping` names `table.column`s left out (access statistics, which reads
/// legitimately change). `changeCounter` is SQLite's `data_version`: it moves
/// when another connection commits, so a dump is only needed when it moved.
public final class DatabaseDump {
    private let connection: Connection
    private let skipping: Set<String>

    public init(path: String, skipping: Set<String> = []) throws {
        connection = try Connection(path: path, readOnly: true)
        self.skipping = skipping
    }

    /// Changes whenever another connection has committed since the last call.
    public func changeCounter() throws -> Int64 {
        try connection.scalarInt("PRAGMA data_version") ?? 0
    }

    public func text() throws -> String {
        try connection.readTransaction {
            let tables = try connection.prepare("""
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
                ORDER BY name
                """).query([]) { $0.text(0) ?? "" }
            var out = ""
            for table in tables {
                out += "# \(table)\n"
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let statement: Statement
                do { statement = try connection.prepare("SELECT * FROM \(quoted) ORDER BY rowid") } catch {
                    statement = try connection.prepare("SELECT * FROM \(quoted) ORDER BY 1")  // WITHOUT ROWID
                }
                let rows = try statement.query([]) { row -> String in
                    var line = ""
                    for column in 0..<row.columnCount where !skipping.contains("\(table).\(row.columnName(column))") {
                        line += "\(row.columnName(column))=\(row.value(column))\t"
                    }
                    return line
                }
                for row in rows { out += row + "\n" }
            }
            return out
        }
    }
}
