import MemCube

// system.health, .stats, .reindex.

/// Params of methods that take none: `{}` or absent.
public struct NoParams: WireParams, Hashable {
    public static let keys: Set<String> = []
    public init() {}
}

/// `system.health`: is the daemon up, and what is it running.
public enum SystemHealth: RPCMethod {
    public static let name = "system.health"
    public static let access = MethodAccess.anyone
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Hashable {
        public var status: String
        public var version: String
        public var uptimeSeconds: Double
        public var embedder: String

        enum CodingKeys: String, CodingKey {
            case status, version, embedder
            case uptimeSeconds = "uptime_seconds"
        }

        public init(status: String, version: String, uptimeSeconds: Double, embedder: String) {
            self.status = status
            self.version = version
            self.uptimeSeconds = uptimeSeconds
            self.embedder = embedder
        }
    }
}

/// `system.stats`: counts, sizes and traffic.
public enum SystemStats: RPCMethod {
    public static let name = "system.stats"
    public static let access = MethodAccess.perItem
    public typealias Params = NoParams

    public struct NamespaceStats: Codable, Sendable, Hashable {
        public var namespace: String
        public var active: Int
        public var superseded: Int
        public var forgotten: Int
        public var indexed: Int
        /// `exact` or `hnsw`.
        public var index: String

        public init(namespace: String, active: Int, superseded: Int, forgotten: Int, indexed: Int, index: String = "exact") {
            self.index = index
            self.namespace = namespace
            self.active = active
            self.superseded = superseded
            self.forgotten = forgotten
            self.indexed = indexed
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var namespaces: [NamespaceStats]
        public var versions: Int
        public var vectors: Int
        public var auditEntries: Int
        public var databaseBytes: Int64
        public var walBytes: Int64
        public var indexedVectors: Int
        public var embedder: String
        public var connections: Int
        public var requests: Int
        public var errors: Int
        public var uptimeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case namespaces, versions, vectors, embedder, connections, requests, errors
            case auditEntries = "audit_entries", databaseBytes = "database_bytes", walBytes = "wal_bytes"
            case indexedVectors = "indexed_vectors", uptimeSeconds = "uptime_seconds"
        }

        public init(
            namespaces: [NamespaceStats], versions: Int, vectors: Int, auditEntries: Int, databaseBytes: Int64,
            walBytes: Int64, indexedVectors: Int, embedder: String, connections: Int, requests: Int, errors: Int,
            uptimeSeconds: Double
        ) {
            self.namespaces = namespaces
            self.versions = versions
            self.vectors = vectors
            self.auditEntries = auditEntries
            self.databaseBytes = databaseBytes
            self.walBytes = walBytes
            self.indexedVectors = indexedVectors
            self.embedder = embedder
            self.connections = connections
            self.requests = requests
            self.errors = errors
            self.uptimeSeconds = uptimeSeconds
        }
    }
}

/// `system.reindex`: re-embed memories whose vectors come from another
/// embedder (or are missing). Starts the background job and reports on it;
/// with `wait: true` returns when it has finished.
public enum SystemReindex: RPCMethod {
    public static let name = "system.reindex"
    public static let access = MethodAccess.daemonOwner

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var wait: Bool?
        public init(wait: Bool? = nil) { self.wait = wait }

        enum CodingKeys: String, CodingKey, CaseIterable { case wait }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var running: Bool
        public var pending: Int
        public var done: Int
        public var embedder: String
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case running, pending, done, embedder
            case lastError = "last_error"
        }

        public init(running: Bool, pending: Int, done: Int, embedder: String, lastError: String?) {
            self.running = running
            self.pending = pending
            self.done = done
            self.embedder = embedder
            self.lastError = lastError
        }
    }
}

/// `system.doctor`: memosd checks its own data: schema version, database
/// integrity, payload files, file permissions, the embedder. Each check is
/// ok or says what to do; `memctl doctor` adds the client's side (socket,
/// model files).
public enum SystemDoctor: RPCMethod {
    public static let name = "system.doctor"
    public static let access = MethodAccess.daemonOwner
    public typealias Params = NoParams

    public struct Check: Codable, Sendable, Hashable {
        public var check: String
        public var ok: Bool
        public var detail: String
        /// What to do when not ok.
        public var fix: String?

        public init(check: String, ok: Bool, detail: String, fix: String? = nil) {
            self.check = check
            self.ok = ok
            self.detail = detail
            self.fix = fix
        }
    }

    public struct Damaged: Codable, Sendable, Hashable {
        public var namespace: String
        public var id: String
        public var blob: String

        public init(namespace: String, id: String, blob: String) {
            self.namespace = namespace
            self.id = id
            self.blob = blob
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var checks: [Check]
        /// Memories whose payload file is missing (at most 1,000 listed).
        public var damaged: [Damaged]

        public init(checks: [Check], damaged: [Damaged]) {
            self.checks = checks
            self.damaged = damaged
        }
    }
}

/// `system.backup`: an online, consistent backup into a new or empty
/// directory (the database through SQLite's backup API, the payload files it
/// names, a manifest with SHA-256 checksums). `memctl restore` brings it back.
public enum SystemBackup: RPCMethod {
    public static let name = "system.backup"
    public static let access = MethodAccess.daemonOwner

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        /// An absolute path outside the data directory; created when missing.
        public var dir: String
        public init(dir: String) { self.dir = dir }

        enum CodingKeys: String, CodingKey, CaseIterable { case dir }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var dir: String
        public var memories: Int
        public var files: Int
        public var bytes: Int64
        public var schemaVersion: Int
        public var createdAt: String

        enum CodingKeys: String, CodingKey {
            case dir, memories, files, bytes
            case schemaVersion = "schema_version", createdAt = "created_at"
        }

        public init(dir: String, memories: Int, files: Int, bytes: Int64, schemaVersion: Int, createdAt: String) {
            self.dir = dir
            self.memories = memories
            self.files = files
            self.bytes = bytes
            self.schemaVersion = schemaVersion
            self.createdAt = createdAt
        }
    }
}
