import MemCube

/// A namespace shared by its owner with another local user.
public struct StoredShare: Sendable, Hashable {
    public var namespace: String
    public var uid: UInt32
    public var access: ShareAccess
    public var grantedBy: UInt32?
    public var grantedAt: Timestamp
}

/// Namespace owners and shares: the rows `NamespaceAccess` (in memosd)
/// loads at start and writes through. A share or unshare is audited.
extension SQLiteStore {
    public func namespaceOwners() throws -> [String: UInt32] {
        try read { db in
            var owners: [String: UInt32] = [:]
            for (namespace, uid) in try db.prepare("SELECT namespace, owner_uid FROM namespace_owners")
                .query([], row: { ($0.text(0) ?? "", $0.int64(1)) })
            {
                if let uid = UInt32(exactly: uid) { owners[namespace] = uid }
            }
            return owners
        }
    }

    public func namespaceShares() throws -> [StoredShare] {
        try read { db in
            try db.prepare("SELECT namespace, uid, access, granted_by, granted_at FROM namespace_shares ORDER BY namespace, uid")
                .query([], row: { row -> StoredShare? in
                    guard let uid = UInt32(exactly: row.int64(1)), let access = ShareAccess(rawValue: row.text(2) ?? "") else { return nil }
                    return StoredShare(
                        namespace: row.text(0) ?? "", uid: uid, access: access,
                        grantedBy: row.isNull(3) ? nil : UInt32(exactly: row.int64(3)), grantedAt: Timestamp(millis: row.int64(4)))
                })
                .compactMap { $0 }
        }
    }

    /// Gives `owner` every namespace that has memories and no owner (a store
    /// from before owners), and each of `names` that has none.
    public func claimUnownedNamespaces(owner: UInt32, also names: [String], at: Timestamp) throws {
        try write { db in
            try db.transaction {
                try db.prepare("""
                    INSERT OR IGNORE INTO namespace_owners(namespace, owner_uid, created_at)
                    SELECT DISTINCT namespace, ?, ? FROM cubes
                    """).run(.int(Int64(owner)), .int(at.millis))
                for name in names {
                    try db.prepare("INSERT OR IGNORE INTO namespace_owners(namespace, owner_uid, created_at) VALUES (?, ?, ?)")
                        .run(.text(name), .int(Int64(owner)), .int(at.millis))
                }
            }
        }
    }

    /// Whether any memory (of any state) is stored in `namespace`.
    public func namespaceHasMemories(_ namespace: String) throws -> Bool {
        try read { db in try db.scalarInt("SELECT count(*) FROM (SELECT 1 FROM cubes WHERE namespace = ? LIMIT 1)", .text(namespace)) ?? 0 > 0 }
    }

    /// Makes `uid` the owner of `namespace` unless it has one; returns the owner.
    public func claimNamespace(_ namespace: String, owner uid: UInt32, at: Timestamp) throws -> UInt32 {
        try write { db in
            try db.prepare("INSERT OR IGNORE INTO namespace_owners(namespace, owner_uid, created_at) VALUES (?, ?, ?)")
                .run(.text(namespace), .int(Int64(uid)), .int(at.millis))
            let owner = try db.scalarInt("SELECT owner_uid FROM namespace_owners WHERE namespace = ?", .text(namespace))
            return owner.flatMap { UInt32(exactly: $0) } ?? uid
        }
    }

    /// Shares `namespace` with `uid` (`access` nil: takes the share back),
    /// audited with who did it. Returns the access `uid` had before.
    @discardableResult
    public func setShare(
        namespace: String, uid: UInt32, access: ShareAccess?, by provenance: Provenance, at: Timestamp
    ) throws -> ShareAccess? {
        try write { db in
            try db.transaction {
                let before = try db.prepare("SELECT access FROM namespace_shares WHERE namespace = ? AND uid = ?")
                    .query([.text(namespace), .int(Int64(uid))], row: { $0.text(0) }).first.flatMap { $0.flatMap(ShareAccess.init(rawValue:)) }
                if let access {
                    try db.prepare("""
                        INSERT INTO namespace_shares(namespace, uid, access, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(namespace, uid) DO UPDATE SET
                          access = excluded.access, granted_by = excluded.granted_by, granted_at = excluded.granted_at
                        """).run(
                            .text(namespace), .int(Int64(uid)), .text(access.rawValue),
                            .optional(provenance.peerUID.map(Int64.init)), .int(at.millis))
                } else {
                    try db.prepare("DELETE FROM namespace_shares WHERE namespace = ? AND uid = ?").run(.text(namespace), .int(Int64(uid)))
                }
                var record = provenance
                record.operation = access == nil ? .unshare : .share
                let detail = access.map { "uid \(uid) \($0.rawValue)" } ?? "uid \(uid)"
                try audit(db, namespace, nil, record, version: nil, at: at, detail: detail)
                return before
            }
        }
    }
}
