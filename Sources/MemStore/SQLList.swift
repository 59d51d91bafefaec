import MemJSON

/// Lists bound as one parameter: `x IN \(SQLList.sql)` with the list as a
/// JSON array (`json_each`), so a statement's text does not depend on the
/// list's length. The connection's statement cache then stays bounded (one
/// entry per query, not one per list length) and no list meets SQLite's
/// limit on bound variables.
enum SQLList {
    static let sql = "(SELECT value FROM json_each(?))"

    static func ints(_ values: [Int64]) -> SQLValue {
        .text("[" + values.map(String.init).joined(separator: ",") + "]")
    }

    static func strings(_ values: [String]) -> SQLValue {
        var writer = JSONWriter(capacity: 16 * values.count + 2)
        writer.strings(values)
        return .text(String(decoding: writer.bytes, as: UTF8.self))
    }
}
