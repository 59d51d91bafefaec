import MemCube

// namespace.*: who owns a namespace and whom it is shared with
// (docs/security.md). Only matters when other local users are let in
// with memosd's --allow-uid / --allow-gid.

/// One share: a user and what they may do in the namespace.
public struct WireShare: Codable, Sendable, Hashable {
    public var uid: Int
    /// `read` or `read-write`.
    public var access: String

    public init(uid: Int, access: String) {
        self.uid = uid
        self.access = access
    }
}

/// `namespace.share`: the namespace's owner lets another local user read it,
/// or read and write it. Sharing again changes the access. Audited.
public enum NamespaceShare: RPCMethod {
    public static let name = "namespace.share"
    public static let access = MethodAccess.namespaceOwner

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var uid: Int
        /// `read` or `read-write` (default `read`).
        public var access: String?

        public init(namespace: String, uid: Int, access: String? = nil) {
            self.namespace = namespace
            self.uid = uid
            self.access = access
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, uid, access }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var namespace: String
        public var owner: Int
        public var uid: Int
        public var access: String
        /// The access the user had before (nil: none).
        public var previous: String?

        public init(namespace: String, owner: Int, uid: Int, access: String, previous: String?) {
            self.namespace = namespace
            self.owner = owner
            self.uid = uid
            self.access = access
            self.previous = previous
        }
    }
}

/// `namespace.unshare`: takes a share back. Audited.
public enum NamespaceUnshare: RPCMethod {
    public static let name = "namespace.unshare"
    public static let access = MethodAccess.namespaceOwner

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var uid: Int

        public init(namespace: String, uid: Int) {
            self.namespace = namespace
            self.uid = uid
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, uid }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var namespace: String
        public var uid: Int
        /// The access the user had (nil: the namespace was not shared with them).
        public var removed: String?

        public init(namespace: String, uid: Int, removed: String?) {
            self.namespace = namespace
            self.uid = uid
            self.removed = removed
        }
    }
}

/// `namespace.list`: the namespaces the caller may use, with their owners;
/// the shares of those the caller owns.
public enum NamespaceList: RPCMethod {
    public static let name = "namespace.list"
    public static let access = MethodAccess.anyone
    public typealias Params = NoParams

    public struct Entry: Codable, Sendable, Hashable {
        public var namespace: String
        public var owner: Int
        /// The caller's access: `owner`, `read-write`, `read`, or `all` (the daemon's own user).
        public var access: String
        /// Whom it is shared with (only shown to the owner and the daemon's user).
        public var shares: [WireShare]?

        public init(namespace: String, owner: Int, access: String, shares: [WireShare]?) {
            self.namespace = namespace
            self.owner = owner
            self.access = access
            self.shares = shares
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var namespaces: [Entry]
        public init(namespaces: [Entry]) { self.namespaces = namespaces }
    }
}
