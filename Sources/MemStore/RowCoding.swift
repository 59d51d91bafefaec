import Foundation
import MemCube
import MemJSON

/// How cubes and versions map to and from rows; JSON columns use sorted keys
/// so the stored text is stable.
enum RowCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()

    /// Most memories have no tags, derivations or attributes: those skip the encoder.
    static func json<T: Encodable>(_ values: [T]) -> String {
        values.isEmpty ? "[]" : encoded(values)
    }

    static func json<V: Encodable>(_ values: [String: V]) -> String {
        values.isEmpty ? "{}" : encoded(values)
    }

    static func json<T: Encodable>(_ value: T) -> String { encoded(value) }

    private static func encoded<T: Encodable>(_ value: T) -> String {
        // Encoding our own value types cannot fail.
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?, default value: T) -> T {
        guard let text, let decoded = try? decoder.decode(T.self, from: Data(text.utf8)) else {
            return value
        }
        return decoded
    }

    /// Tags as stored (a JSON array of strings). Most rows hold `[]` or plain
    /// strings; those are split directly, since JSONDecoder costs tens of
    /// microseconds per call and recall decodes every hit's row.
    static func strings(_ text: String?) -> [String] {
        guard let text, text != "[]" else { return [] }
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"), !bytes.contains(UInt8(ascii: "\\"))
        else { return decode([String].self, text, default: []) }
        var result: [String] = []
        var i = 1
        while i < bytes.count - 1 {
            guard bytes[i] == UInt8(ascii: "\"") else { return decode([String].self, text, default: []) }
            var j = i + 1
            while j < bytes.count, bytes[j] != UInt8(ascii: "\"") { j += 1 }
            guard j < bytes.count - 1 else { return decode([String].self, text, default: []) }
            result.append(String(decoding: bytes[(i + 1)..<j], as: UTF8.self))
            i = j + 1
            if bytes[i] == UInt8(ascii: ",") { i += 1 }
        }
        return result
    }

    static func attributes(_ text: String?) -> [String: JSONValue] {
        guard let text, text != "{}" else { return [:] }
        return decode([String: JSONValue].self, text, default: [:])
    }

    static func ids(_ text: String?) -> [CubeID] {
        strings(text).compactMap(CubeID.init)
    }

    static let cubeColumns = """
        c.rowid, c.id, c.namespace, c.kind, c.agent, c.session, c.text, c.tags, c.attributes,
        c.importance, c.version, c.state, c.tier, c.occurred_at, c.created_at, c.updated_at,
        c.valid_from, c.valid_to, c.expires_at, c.access_count, c.last_access, c.heat,
        c.source, c.derived_from, c.origin, c.content, c.damaged, c.speaker
        """

    /// The columns `meta(_:from:)` decodes into a `VectorMeta`, in order.
    static let metaColumns = """
        c.tags, c.agent, c.session, coalesce(c.occurred_at, c.created_at), c.expires_at, c.speaker, c.kind, c.tier,
        c.importance, c.version, c.created_at, c.occurred_at, c.valid_from, c.valid_to, c.attributes
        """

    /// A `VectorMeta` from `metaColumns`, starting at `column`.
    static func meta(_ row: Statement, from column: Int32) -> VectorMeta {
        func time(_ offset: Int32) -> Timestamp? { row.optionalInt64(column + offset).map(Timestamp.init(millis:)) }
        return VectorMeta(
            tags: strings(row.text(column)), agent: row.text(column + 1), session: row.text(column + 2),
            time: Timestamp(millis: row.int64(column + 3)), expiresAt: time(4), speaker: row.text(column + 5),
            kind: Kind(rawValue: row.text(column + 6) ?? "") ?? .plaintext, tier: Tier(rawValue: row.text(column + 7) ?? "") ?? .active,
            importance: row.double(column + 8), version: row.int(column + 9), createdAt: time(10), occurredAt: time(11),
            validFrom: time(12), validTo: time(13), attributes: attributes(row.text(column + 14)))
    }

    /// Decodes a row selected with `cubeColumns`.
    static func cube(_ row: Statement) -> StoredCube {
        func time(_ column: Int32) -> Timestamp? { row.optionalInt64(column).map(Timestamp.init(millis:)) }
        let id = CubeID(row.text(1) ?? "") ?? CubeID.generate(at: 0)
        let cube = MemCube(
            id: id,
            kind: Kind(rawValue: row.text(3) ?? "") ?? .plaintext,
            namespace: row.text(2) ?? "",
            agent: row.text(4),
            session: row.text(5),
            text: row.text(6),
            tags: strings(row.text(7)),
            attributes: attributes(row.text(8)),
            importance: row.double(9),
            version: row.int(10),
            state: CubeState(rawValue: row.text(11) ?? "") ?? .active,
            tier: Tier(rawValue: row.text(12) ?? "") ?? .active,
            occurredAt: time(13),
            createdAt: time(14) ?? Timestamp(millis: 0),
            updatedAt: time(15),
            validFrom: time(16),
            validTo: time(17),
            expiresAt: time(18),
            access: Access(count: row.int(19), lastAccess: time(20), heat: row.double(21)),
            provenance: Provenance(
                agent: row.text(4),
                operation: Operation(rawValue: row.text(24) ?? "") ?? .add,
                source: row.text(22).map { decode(JSONValue.self, $0, default: .null) },
                derivedFrom: ids(row.text(23))),
            content: row.text(25).flatMap { try? decoder.decode(Content.self, from: Data($0.utf8)) },
            damaged: row.text(26), speaker: row.text(27))
        return StoredCube(key: row.int64(0), cube: cube)
    }

    static let versionColumns = """
        version, text, tags, attributes, importance, state, session, occurred_at, expires_at,
        valid_to, operation, agent, peer_uid, peer_pid, source, derived_from, at
        """

    static func version(_ row: Statement) -> CubeVersion {
        func time(_ column: Int32) -> Timestamp? { row.optionalInt64(column).map(Timestamp.init(millis:)) }
        return CubeVersion(
            version: row.int(0),
            text: row.text(1),
            tags: strings(row.text(2)),
            attributes: attributes(row.text(3)),
            importance: row.double(4),
            state: CubeState(rawValue: row.text(5) ?? "") ?? .active,
            session: row.text(6),
            occurredAt: time(7),
            expiresAt: time(8),
            validTo: time(9),
            provenance: Provenance(
                agent: row.text(11),
                peerUID: row.optionalInt64(12).map { UInt32(truncatingIfNeeded: $0) },
                peerPID: row.optionalInt64(13).map { Int32(truncatingIfNeeded: $0) },
                operation: Operation(rawValue: row.text(10) ?? "") ?? .update,
                source: row.text(14).map { decode(JSONValue.self, $0, default: .null) },
                derivedFrom: ids(row.text(15))),
            at: time(16) ?? Timestamp(millis: 0))
    }

    /// Binds a version row for `INSERT INTO cube_versions`.
    static func versionValues(key: Int64, _ v: CubeVersion) -> [SQLValue] {
        [
            .int(key), .int(Int64(v.version)), .optional(v.text), .text(json(v.tags)),
            .text(json(v.attributes)), .double(v.importance), .text(v.state.rawValue),
            .optional(v.session), .optional(v.occurredAt?.millis), .optional(v.expiresAt?.millis),
            .optional(v.validTo?.millis), .text(v.provenance.operation.rawValue),
            .optional(v.provenance.agent), .optional(v.provenance.peerUID.map(Int64.init)),
            .optional(v.provenance.peerPID.map(Int64.init)),
            .optional(v.provenance.source.map { json($0) }), .text(json(v.provenance.derivedFrom)),
            .int(v.at.millis),
        ]
    }

    static let insertVersionSQL = """
        INSERT INTO cube_versions(cube_rowid, \(versionColumns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}
