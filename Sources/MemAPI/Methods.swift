import MemCube


/// `memory.add`: store one memory (`text`) or a batch (`items`).
public enum MemoryAdd: RPCMethod {
    public static let name = "memory.add"
    public static let paramKeys: Set<String> = Item.keys.union(["namespace", "items"])

    public struct Item: Codable, Sendable, Hashable {
        public var text: String?
        public var agent: String?
        public var session: String?
        public var tags: [String]?
        public var attributes: [String: JSONValue]?
        public var importance: Double?
        public var occurredAt: Timestamp?
        public var source: JSONValue?
        public var ttlSeconds: Double?
        /// Entities the writer names explicitly (people, places, things), in
        /// addition to those found in the text.
        public var entities: [String]?
        /// `plaintext` (default), `activation` or `parameter`.
        public var kind: String?
        /// Activation and parameter cubes: the payload's format (`safetensors`
        /// or a name of the client's), its base model, and the payload as a
        /// file the daemon reads (`path`) or base64 (`data`).
        public var format: String?
        public var model: String?
        public var path: String?
        public var data: String?
        /// Layout details the client knows (e.g. `tokenizer`, `alpha`); those
        /// read from a safetensors header are added and must agree.
        public var meta: [String: JSONValue]?
        /// Ids of the memories this one was computed from.
        public var derivedFrom: [String]?

        public static let keys: Set<String> = [
            "text", "agent", "session", "tags", "attributes", "importance", "occurred_at", "source",
            "ttl_seconds", "entities", "kind", "format", "model", "path", "data", "meta", "derived_from",
        ]

        enum CodingKeys: String, CodingKey {
            case text, agent, session, tags, attributes, importance, source, entities, kind, format, model, path, data, meta
            case occurredAt = "occurred_at", ttlSeconds = "ttl_seconds", derivedFrom = "derived_from"
        }

        public init(
            text: String? = nil, agent: String? = nil, session: String? = nil, tags: [String]? = nil,
            attributes: [String: JSONValue]? = nil, importance: Double? = nil, occurredAt: Timestamp? = nil,
            source: JSONValue? = nil, ttlSeconds: Double? = nil, entities: [String]? = nil, kind: String? = nil,
            format: String? = nil, model: String? = nil, path: String? = nil, data: String? = nil,
            meta: [String: JSONValue]? = nil, derivedFrom: [String]? = nil
        ) {
            self.entities = entities
            self.kind = kind
            self.format = format
            self.model = model
            self.path = path
            self.data = data
            self.meta = meta
            self.derivedFrom = derivedFrom
            self.text = text
            self.agent = agent
            self.session = session
            self.tags = tags
            self.attributes = attributes
            self.importance = importance
            self.occurredAt = occurredAt
            self.source = source
            self.ttlSeconds = ttlSeconds
        }
    }

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var item: Item
        public var items: [Item]?

        public init(namespace: String, item: Item) {
            self.namespace = namespace
            self.item = item
        }

        public init(namespace: String, items: [Item]) {
            self.namespace = namespace
            self.item = Item()
            self.items = items
        }

        enum CodingKeys: String, CodingKey { case namespace, items }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            namespace = try container.decode(String.self, forKey: .namespace)
            items = try container.decodeIfPresent([Item].self, forKey: .items)
            item = try Item(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(namespace, forKey: .namespace)
            try container.encodeIfPresent(items, forKey: .items)
            if items == nil { try item.encode(to: encoder) }
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String?
        public var version: Int?
        public var ids: [String]?

        public init(id: String? = nil, version: Int? = nil, ids: [String]? = nil) {
            self.id = id
            self.version = version
            self.ids = ids
        }
    }
}

/// `memory.recall`: the best memories for a query, best first.
public enum MemoryRecall: RPCMethod {
    public static let name = "memory.recall"
    public static let paramKeys: Set<String> = [
        "namespace", "query", "k", "filter", "explain", "weights", "fusion", "reference_time", "diversity", "include_archive",
        "summaries",
    ]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var query: String
        public var k: Int?
        public var filter: WireFilter?
        public var explain: Bool?
        /// Per-request fusion weights by signal name (`vector`, `keyword`).
        public var weights: [String: Double]?
        /// `rrf` (reciprocal rank) or `relative` (min-max scaled scores).
        public var fusion: String?
        /// "Now" for time phrases in the query and for recency (default: now).
        public var referenceTime: Timestamp?
        /// MMR diversity 0...1 (default 0: off).
        public var diversity: Double?
        /// Archived memories take part only when this is true.
        public var includeArchive: Bool?
        /// How many consolidation summaries to return beside the hits (0...10, default 2).
        public var summaries: Int?

        enum CodingKeys: String, CodingKey {
            case namespace, query, k, filter, explain, weights, fusion, diversity, summaries
            case referenceTime = "reference_time", includeArchive = "include_archive"
        }

        public init(
            namespace: String, query: String, k: Int? = nil, filter: WireFilter? = nil, explain: Bool? = nil,
            weights: [String: Double]? = nil, fusion: String? = nil, referenceTime: Timestamp? = nil, diversity: Double? = nil,
            includeArchive: Bool? = nil
        ) {
            self.includeArchive = includeArchive
            self.fusion = fusion
            self.referenceTime = referenceTime
            self.diversity = diversity
            self.namespace = namespace
            self.query = query
            self.k = k
            self.filter = filter
            self.explain = explain
            self.weights = weights
        }
    }

    public struct Signal: Codable, Sendable, Hashable {
        public var rank: Int
        public var score: Double
        /// With `explain`: what the signal added to the fused score.
        public var contribution: Double?
        /// With `explain`: the signal's weight in the fusion.
        public var weight: Double?

        public init(rank: Int, score: Double, contribution: Double? = nil, weight: Double? = nil) {
            self.rank = rank
            self.score = score
            self.contribution = contribution
            self.weight = weight
        }
    }

    public struct Hit: Codable, Sendable, Hashable {
        public var id: String
        public var score: Double
        public var text: String?
        public var version: Int
        public var tags: [String]
        public var attributes: [String: JSONValue]
        public var importance: Double
        public var agent: String?
        public var session: String?
        public var occurredAt: Timestamp?
        public var createdAt: Timestamp
        public var signals: [String: Signal]
        /// When the fact stopped holding (a newer fact with the same key superseded it).
        public var validTo: Timestamp?
        /// Active memories consolidation found likely to contradict this one.
        public var conflictsWith: [String]?
        /// With `explain`: the fused score, each boost and the time phrase understood.
        public var explain: Explanation?

        public struct Explanation: Codable, Sendable, Hashable {
            public var fused: Double
            public var boosts: [String: Double]
            public var timePhrase: String?

            enum CodingKeys: String, CodingKey {
                case fused, boosts
                case timePhrase = "time_phrase"
            }

            public init(fused: Double, boosts: [String: Double], timePhrase: String?) {
                self.fused = fused
                self.boosts = boosts
                self.timePhrase = timePhrase
            }
        }

        enum CodingKeys: String, CodingKey {
            case id, score, text, version, tags, attributes, importance, agent, session, signals, explain
            case occurredAt = "occurred_at", createdAt = "created_at", validTo = "valid_to", conflictsWith = "conflicts_with"
        }

        public init(
            id: String, score: Double, text: String?, version: Int, tags: [String],
            attributes: [String: JSONValue], importance: Double, agent: String?, session: String?,
            occurredAt: Timestamp?, createdAt: Timestamp, signals: [String: Signal], validTo: Timestamp? = nil,
            conflictsWith: [String]? = nil, explain: Explanation? = nil
        ) {
            self.validTo = validTo
            self.conflictsWith = conflictsWith
            self.explain = explain
            self.id = id
            self.score = score
            self.text = text
            self.version = version
            self.tags = tags
            self.attributes = attributes
            self.importance = importance
            self.agent = agent
            self.session = session
            self.occurredAt = occurredAt
            self.createdAt = createdAt
            self.signals = signals
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var hits: [Hit]
        /// Consolidation's summaries that matched (they never take a hit's place).
        public var summaries: [Hit]?
        /// With `explain`: milliseconds spent in each step of this recall.
        public var timingsMS: [String: Double]?

        enum CodingKeys: String, CodingKey {
            case hits, summaries
            case timingsMS = "timings_ms"
        }

        public init(hits: [Hit], summaries: [Hit]? = nil, timingsMS: [String: Double]? = nil) {
            self.hits = hits
            self.summaries = summaries
            self.timingsMS = timingsMS
        }
    }
}

/// `memory.forget`: tombstone (default) or purge memories; all or nothing.
public enum MemoryForget: RPCMethod {
    public static let name = "memory.forget"
    public static let paramKeys: Set<String> = ["namespace", "id", "ids", "purge", "agent"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String?
        public var ids: [String]?
        public var purge: Bool?
        public var agent: String?

        public init(namespace: String, id: String? = nil, ids: [String]? = nil, purge: Bool? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.id = id
            self.ids = ids
            self.purge = purge
            self.agent = agent
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var forgotten: Int
        public init(forgotten: Int) { self.forgotten = forgotten }
    }
}

/// `memory.get`: one memory, current or at a given version.
public enum MemoryGet: RPCMethod {
    public static let name = "memory.get"
    public static let paramKeys: Set<String> = ["namespace", "id", "version", "export_to", "include_data"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public var version: Int?
        /// Activation and parameter cubes: write the payload to this file (absolute path).
        public var exportTo: String?
        /// Activation and parameter cubes: return the payload as base64 in `data`.
        public var includeData: Bool?

        enum CodingKeys: String, CodingKey {
            case namespace, id, version
            case exportTo = "export_to", includeData = "include_data"
        }

        public init(namespace: String, id: String, version: Int? = nil, exportTo: String? = nil, includeData: Bool? = nil) {
            self.namespace = namespace
            self.id = id
            self.version = version
            self.exportTo = exportTo
            self.includeData = includeData
        }
    }

    /// The current memory, or (with `version`) that version's snapshot.
    public struct Result: Codable, Sendable, Hashable {
        public var memory: WireMemory?
        public var version: WireVersion?
        /// With `include_data`: the payload, base64.
        public var data: String?
        /// With `export_to`: the file written.
        public var exportedTo: String?

        enum CodingKeys: String, CodingKey {
            case memory, version, data
            case exportedTo = "exported_to"
        }

        public init(memory: WireMemory? = nil, version: WireVersion? = nil, data: String? = nil, exportedTo: String? = nil) {
            self.memory = memory
            self.version = version
            self.data = data
            self.exportedTo = exportedTo
        }
    }
}

/// `memory.update`: change fields of a memory, writing a new version.
public enum MemoryUpdate: RPCMethod {
    public static let name = "memory.update"
    public static let paramKeys: Set<String> = [
        "namespace", "id", "text", "tags", "attributes", "importance", "occurred_at", "session",
        "ttl_seconds", "expected_version", "agent",
    ]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public var text: String?
        public var tags: [String]?
        public var attributes: [String: JSONValue]?
        public var importance: Double?
        public var occurredAt: Timestamp?
        public var session: String?
        /// Seconds from now until the memory expires; 0 removes the TTL.
        public var ttlSeconds: Double?
        public var expectedVersion: Int?
        public var agent: String?

        enum CodingKeys: String, CodingKey {
            case namespace, id, text, tags, attributes, importance, session, agent
            case occurredAt = "occurred_at", ttlSeconds = "ttl_seconds", expectedVersion = "expected_version"
        }

        public init(
            namespace: String, id: String, text: String? = nil, tags: [String]? = nil,
            attributes: [String: JSONValue]? = nil, importance: Double? = nil, occurredAt: Timestamp? = nil,
            session: String? = nil, ttlSeconds: Double? = nil, expectedVersion: Int? = nil, agent: String? = nil
        ) {
            self.namespace = namespace
            self.id = id
            self.text = text
            self.tags = tags
            self.attributes = attributes
            self.importance = importance
            self.occurredAt = occurredAt
            self.session = session
            self.ttlSeconds = ttlSeconds
            self.expectedVersion = expectedVersion
            self.agent = agent
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var version: Int
        public init(id: String, version: Int) {
            self.id = id
            self.version = version
        }
    }
}

/// `memory.history`: every version of a memory, oldest first.
public enum MemoryHistory: RPCMethod {
    public static let name = "memory.history"
    public static let paramKeys: Set<String> = ["namespace", "id"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public init(namespace: String, id: String) {
            self.namespace = namespace
            self.id = id
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var versions: [WireVersion]

        public init(id: String, versions: [WireVersion]) {
            self.id = id
            self.versions = versions
        }
    }
}

/// `memory.revert`: a new version restoring an earlier one (text, tags,
/// attributes, importance, state, validity...); history keeps everything.
public enum MemoryRevert: RPCMethod {
    public static let name = "memory.revert"
    public static let paramKeys: Set<String> = ["namespace", "id", "to_version", "expected_version", "agent"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public var toVersion: Int
        public var expectedVersion: Int?
        public var agent: String?

        enum CodingKeys: String, CodingKey {
            case namespace, id, agent
            case toVersion = "to_version", expectedVersion = "expected_version"
        }

        public init(namespace: String, id: String, toVersion: Int, expectedVersion: Int? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.id = id
            self.toVersion = toVersion
            self.expectedVersion = expectedVersion
            self.agent = agent
        }
    }

    public typealias Result = MemoryUpdate.Result
}

/// `memory.list`: memories of a namespace, newest first, a page at a time.
public enum MemoryList: RPCMethod {
    public static let name = "memory.list"
    public static let paramKeys: Set<String> = ["namespace", "filter", "limit", "cursor"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var filter: WireFilter?
        public var limit: Int?
        public var cursor: String?

        public init(namespace: String, filter: WireFilter? = nil, limit: Int? = nil, cursor: String? = nil) {
            self.namespace = namespace
            self.filter = filter
            self.limit = limit
            self.cursor = cursor
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var memories: [WireMemory]
        public var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case memories
            case nextCursor = "next_cursor"
        }

        public init(memories: [WireMemory], nextCursor: String?) {
            self.memories = memories
            self.nextCursor = nextCursor
        }
    }
}

/// Params of methods that take none: `{}` or absent.
public struct NoParams: Codable, Sendable, Hashable {
    public init() {}
}

/// `system.health`: is the daemon up, and what is it running.
public enum SystemHealth: RPCMethod {
    public static let name = "system.health"
    public static let paramKeys: Set<String> = []
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
    public static let paramKeys: Set<String> = []
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
    public static let paramKeys: Set<String> = ["wait"]

    public struct Params: Codable, Sendable {
        public var wait: Bool?
        public init(wait: Bool? = nil) { self.wait = wait }
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

/// `memory.link`: a typed, weighted edge between two memories; recall's
/// graph signal follows it.
public enum MemoryLink: RPCMethod {
    public static let name = "memory.link"
    public static let paramKeys: Set<String> = ["namespace", "from", "to", "type", "weight", "agent"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var from: String
        public var to: String
        /// Default `related`; `next` and `derived` are reserved.
        public var type: String?
        /// 0...1, default 1.
        public var weight: Double?
        public var agent: String?

        public init(namespace: String, from: String, to: String, type: String? = nil, weight: Double? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.from = from
            self.to = to
            self.type = type
            self.weight = weight
            self.agent = agent
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var from: String
        public var to: String
        public var type: String
        public var weight: Double

        public init(from: String, to: String, type: String, weight: Double) {
            self.from = from
            self.to = to
            self.type = type
            self.weight = weight
        }
    }
}

/// `graph.neighbors`: a memory's neighbourhood, for agents that browse.
public enum GraphNeighbors: RPCMethod {
    public static let name = "graph.neighbors"
    public static let paramKeys: Set<String> = ["namespace", "id", "limit"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public var limit: Int?

        public init(namespace: String, id: String, limit: Int? = nil) {
            self.namespace = namespace
            self.id = id
            self.limit = limit
        }
    }

    public struct WireEntity: Codable, Sendable, Hashable {
        public var key: String
        public var display: String
        public var kind: String
        /// How many memories mention it.
        public var mentions: Int

        public init(key: String, display: String, kind: String, mentions: Int) {
            self.key = key
            self.display = display
            self.kind = kind
            self.mentions = mentions
        }
    }

    public struct WireNeighbor: Codable, Sendable, Hashable {
        public var id: String
        public var text: String?
        /// `next`/`previous` (session order), `derived`/`source`, a link's
        /// type (`related`...), or `entity` (a shared entity).
        public var relation: String
        public var weight: Double
        /// For `entity` neighbours: the shared entities' display names.
        public var via: [String]?

        public init(id: String, text: String?, relation: String, weight: Double, via: [String]? = nil) {
            self.id = id
            self.text = text
            self.relation = relation
            self.weight = weight
            self.via = via
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var entities: [WireEntity]
        public var neighbors: [WireNeighbor]

        public init(id: String, entities: [WireEntity], neighbors: [WireNeighbor]) {
            self.id = id
            self.entities = entities
            self.neighbors = neighbors
        }
    }
}

/// `memory.fuse`: merges parameter memories (LoRA adapters of one base
/// model) into a new parameter memory.
public enum MemoryFuse: RPCMethod {
    public static let name = "memory.fuse"
    public static let paramKeys: Set<String> = ["namespace", "ids", "weights", "method", "text", "tags", "agent"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var ids: [String]
        /// One per id (default all 1).
        public var weights: [Double]?
        /// `cat` (default, exact) or `linear` (same rank).
        public var method: String?
        /// A description of the result.
        public var text: String?
        public var tags: [String]?
        public var agent: String?

        public init(
            namespace: String, ids: [String], weights: [Double]? = nil, method: String? = nil, text: String? = nil,
            tags: [String]? = nil, agent: String? = nil
        ) {
            self.namespace = namespace
            self.ids = ids
            self.weights = weights
            self.method = method
            self.text = text
            self.tags = tags
            self.agent = agent
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var version: Int

        public init(id: String, version: Int) {
            self.id = id
            self.version = version
        }
    }
}

/// `memory.compose`: concatenates activation memories (KV snapshots of one
/// model) along the token axis into a new activation memory.
public enum MemoryCompose: RPCMethod {
    public static let name = "memory.compose"
    public static let paramKeys: Set<String> = ["namespace", "ids", "text", "tags", "agent"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        /// In order: the result is their inputs read one after the other.
        public var ids: [String]
        public var text: String?
        public var tags: [String]?
        public var agent: String?

        public init(namespace: String, ids: [String], text: String? = nil, tags: [String]? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.ids = ids
            self.text = text
            self.tags = tags
            self.agent = agent
        }
    }

    public typealias Result = MemoryFuse.Result
}

/// `scheduler.status`: tier usage, budgets and the latest moves.
public enum SchedulerStatus: RPCMethod {
    public static let name = "scheduler.status"
    public static let paramKeys: Set<String> = ["events"]

    public struct Params: Codable, Sendable {
        /// How many recent moves to return (default 20).
        public var events: Int?
        public init(events: Int? = nil) { self.events = events }
    }

    public struct Usage: Codable, Sendable, Hashable {
        public var count: Int
        public var bytes: Int
        public init(count: Int, bytes: Int) {
            self.count = count
            self.bytes = bytes
        }
    }

    public struct Event: Codable, Sendable, Hashable {
        public var at: Timestamp
        public var namespace: String
        public var id: String
        public var from: String
        public var to: String
        public var reason: String
        public init(at: Timestamp, namespace: String, id: String, from: String, to: String, reason: String) {
            self.at = at
            self.namespace = namespace
            self.id = id
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        /// Per tier (`working`, `active`, `archive`): memories and their bytes (text, vector, payload).
        public var tiers: [String: Usage]
        /// Per namespace, per tier.
        public var namespaces: [String: [String: Usage]]
        public var pinned: Int
        /// `working` (global) and `working_per_namespace`.
        public var budgets: [String: Usage]
        /// The working tier's memories held in RAM now, and the RAM they take.
        public var workingRAM: Usage
        public var lastTick: Timestamp?
        public var events: [Event]
        /// Connected model runners, and jobs by state (queued, dispatched, done, failed).
        public var runners: Int
        public var jobs: [String: Int]

        enum CodingKeys: String, CodingKey {
            case tiers, namespaces, pinned, budgets, events, runners, jobs
            case lastTick = "last_tick", workingRAM = "working_ram"
        }

        public init(
            tiers: [String: Usage], namespaces: [String: [String: Usage]], pinned: Int, budgets: [String: Usage],
            workingRAM: Usage, lastTick: Timestamp?, events: [Event], runners: Int = 0, jobs: [String: Int] = [:]
        ) {
            self.runners = runners
            self.jobs = jobs
            self.workingRAM = workingRAM
            self.tiers = tiers
            self.namespaces = namespaces
            self.pinned = pinned
            self.budgets = budgets
            self.lastTick = lastTick
            self.events = events
        }
    }
}

/// `scheduler.promote` / `scheduler.demote`: move one memory a tier up or down (or to `tier`).
public enum SchedulerMove {
    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        /// The target tier; default one step (archive → active → working, or back).
        public var tier: String?
        public init(namespace: String, id: String, tier: String? = nil) {
            self.namespace = namespace
            self.id = id
            self.tier = tier
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var from: String
        public var to: String
        public init(id: String, from: String, to: String) {
            self.id = id
            self.from = from
            self.to = to
        }
    }
}

public enum SchedulerPromote: RPCMethod {
    public static let name = "scheduler.promote"
    public static let paramKeys: Set<String> = ["namespace", "id", "tier"]
    public typealias Params = SchedulerMove.Params
    public typealias Result = SchedulerMove.Result
}

public enum SchedulerDemote: RPCMethod {
    public static let name = "scheduler.demote"
    public static let paramKeys: Set<String> = ["namespace", "id", "tier"]
    public typealias Params = SchedulerMove.Params
    public typealias Result = SchedulerMove.Result
}

/// `scheduler.pin` / `scheduler.unpin`: a pinned memory never changes tier on its own.
public enum SchedulerPinning {
    public struct Params: Codable, Sendable {
        public var namespace: String
        public var id: String
        public init(namespace: String, id: String) {
            self.namespace = namespace
            self.id = id
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var pinned: Bool
        public var tier: String
        public init(id: String, pinned: Bool, tier: String) {
            self.id = id
            self.pinned = pinned
            self.tier = tier
        }
    }
}

public enum SchedulerPin: RPCMethod {
    public static let name = "scheduler.pin"
    public static let paramKeys: Set<String> = ["namespace", "id"]
    public typealias Params = SchedulerPinning.Params
    public typealias Result = SchedulerPinning.Result
}

public enum SchedulerUnpin: RPCMethod {
    public static let name = "scheduler.unpin"
    public static let paramKeys: Set<String> = ["namespace", "id"]
    public typealias Params = SchedulerPinning.Params
    public typealias Result = SchedulerPinning.Result
}

/// `scheduler.touch`: count an access to memories (as a recall hit or get does).
public enum SchedulerTouch: RPCMethod {
    public static let name = "scheduler.touch"
    public static let paramKeys: Set<String> = ["namespace", "ids"]

    public struct Params: Codable, Sendable {
        public var namespace: String
        public var ids: [String]
        public init(namespace: String, ids: [String]) {
            self.namespace = namespace
            self.ids = ids
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var touched: Int
        public init(touched: Int) { self.touched = touched }
    }
}

/// `scheduler.tick`: flush accesses and run the tier planner now; returns the moves made.
public enum SchedulerTick: RPCMethod {
    public static let name = "scheduler.tick"
    public static let paramKeys: Set<String> = []
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Hashable {
        public var moves: [SchedulerStatus.Event]
        public init(moves: [SchedulerStatus.Event]) { self.moves = moves }
    }
}

/// `scheduler.subscribe`: a model runner registers on this connection and
/// then receives `scheduler.job` notifications on it (docs/runners.md).
public enum SchedulerSubscribe: RPCMethod {
    public static let name = "scheduler.subscribe"
    public static let paramKeys: Set<String> = ["models", "name"]

    public struct Params: Codable, Sendable {
        /// Base model ids this runner can compute snapshots for.
        public var models: [String]
        public var name: String?
        public init(models: [String], name: String? = nil) {
            self.models = models
            self.name = name
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var runner: Int
        public var models: [String]
        public init(runner: Int, models: [String]) {
            self.runner = runner
            self.models = models
        }
    }
}

/// `scheduler.complete` / `scheduler.fail`: a runner reports on a job.
public enum SchedulerJobReport {
    public struct Params: Codable, Sendable {
        public var jobID: String
        /// complete: the activation memory the runner added.
        public var id: String?
        /// fail: why.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, error
            case jobID = "job_id"
        }

        public init(jobID: String, id: String? = nil, error: String? = nil) {
            self.jobID = jobID
            self.id = id
            self.error = error
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var jobID: String
        public var state: String

        enum CodingKeys: String, CodingKey {
            case state
            case jobID = "job_id"
        }

        public init(jobID: String, state: String) {
            self.jobID = jobID
            self.state = state
        }
    }
}

public enum SchedulerComplete: RPCMethod {
    public static let name = "scheduler.complete"
    public static let paramKeys: Set<String> = ["job_id", "id"]
    public typealias Params = SchedulerJobReport.Params
    public typealias Result = SchedulerJobReport.Result
}

public enum SchedulerFail: RPCMethod {
    public static let name = "scheduler.fail"
    public static let paramKeys: Set<String> = ["job_id", "error"]
    public typealias Params = SchedulerJobReport.Params
    public typealias Result = SchedulerJobReport.Result
}

/// `consolidate.run`: the consolidation job (docs/consolidation.md).
public enum ConsolidateRun: RPCMethod {
    public static let name = "consolidate.run"
    public static let paramKeys: Set<String> = ["namespace", "all", "dry_run", "steps", "wait"]

    public struct Params: Codable, Sendable {
        /// One namespace; when absent, every namespace changed since its last run (or every one with `all`).
        public var namespace: String?
        /// With no namespace: every namespace, changed or not.
        public var all: Bool?
        /// List what would change, change nothing.
        public var dryRun: Bool?
        /// Steps to run, in order (default: all available).
        public var steps: [String]?
        /// Return the report when done (default true); false returns the run id at once.
        public var wait: Bool?

        enum CodingKeys: String, CodingKey {
            case namespace, all, steps, wait
            case dryRun = "dry_run"
        }

        public init(namespace: String? = nil, all: Bool? = nil, dryRun: Bool? = nil, steps: [String]? = nil, wait: Bool? = nil) {
            self.namespace = namespace
            self.all = all
            self.dryRun = dryRun
            self.steps = steps
            self.wait = wait
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var runID: String
        public var report: Report?

        enum CodingKeys: String, CodingKey {
            case report
            case runID = "run_id"
        }

        public init(runID: String, report: Report?) {
            self.runID = runID
            self.report = report
        }
    }

    public struct StepReport: Codable, Sendable, Hashable {
        /// Memories changed (or, in a dry run, that would change).
        public var changed: Int
        /// What changed: up to 100 entries (10,000 in a dry run), e.g. "n/01JD…: TTL passed".
        public var items: [String]
        /// Progress: memories (or groups) looked at so far, out of `total` when known.
        public var examined: Int
        public var total: Int?
        /// Changes given up because a client changed the memory meanwhile (the next run retries).
        public var skipped: Int
        /// True once the step has run to its end.
        public var finished: Bool
        /// How long the step took, once finished.
        public var seconds: Double?

        enum CodingKeys: String, CodingKey {
            case changed, items, examined, total, skipped, finished, seconds
        }

        public init(changed: Int = 0, items: [String] = [], examined: Int = 0, total: Int? = nil, skipped: Int = 0, finished: Bool = false) {
            self.changed = changed
            self.items = items
            self.examined = examined
            self.total = total
            self.skipped = skipped
            self.finished = finished
        }

        /// Notes one change, keeping the first `limit` descriptions.
        public mutating func note(_ item: String, count: Int = 1, limit: Int = 100) {
            changed += count
            if items.count < limit { items.append(item) }
        }
    }

    public struct Report: Codable, Sendable, Hashable {
        public var runID: String
        /// The namespace asked for (nil: changed namespaces, or all with `all`).
        public var namespace: String?
        public var all: Bool
        public var dryRun: Bool
        /// `running`, `done`, `failed` or `undone`.
        public var state: String
        public var startedAt: Timestamp
        public var finishedAt: Timestamp?
        /// The steps, in the order they run.
        public var plan: [String]
        /// The step running now.
        public var current: String?
        /// Namespaces the content steps (dedupe, merge, supersede, summarize) processed.
        public var namespaces: [String]
        /// Namespaces left alone: unchanged since their last run.
        public var unchanged: [String]
        public var steps: [String: StepReport]
        /// How many times the run was resumed after memosd stopped during it.
        public var resumed: Int
        /// Set when `consolidate.undo` reverted the run: what it restored.
        public var undo: StepReport?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case namespace, all, state, plan, current, namespaces, unchanged, steps, resumed, undo, error
            case runID = "run_id", dryRun = "dry_run", startedAt = "started_at", finishedAt = "finished_at"
        }

        public init(
            runID: String, namespace: String?, all: Bool = false, dryRun: Bool, state: String, startedAt: Timestamp,
            finishedAt: Timestamp? = nil, plan: [String] = [], steps: [String: StepReport] = [:], error: String? = nil
        ) {
            self.runID = runID
            self.namespace = namespace
            self.all = all
            self.dryRun = dryRun
            self.state = state
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.plan = plan
            self.current = nil
            self.namespaces = []
            self.unchanged = []
            self.steps = steps
            self.resumed = 0
            self.undo = nil
            self.error = error
        }
    }
}

/// `consolidate.status`: a run's progress and report (the latest run when no id is given).
public enum ConsolidateStatus: RPCMethod {
    public static let name = "consolidate.status"
    public static let paramKeys: Set<String> = ["run_id"]

    public struct Params: Codable, Sendable {
        public var runID: String?
        enum CodingKeys: String, CodingKey { case runID = "run_id" }
        public init(runID: String? = nil) { self.runID = runID }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var report: ConsolidateRun.Report?
        public init(report: ConsolidateRun.Report?) { self.report = report }
    }
}

/// `consolidate.report`: a run's stored report (kept across restarts).
public enum ConsolidateReport: RPCMethod {
    public static let name = "consolidate.report"
    public static let paramKeys: Set<String> = ["run_id"]

    public struct Params: Codable, Sendable {
        public var runID: String
        enum CodingKeys: String, CodingKey { case runID = "run_id" }
        public init(runID: String) { self.runID = runID }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var report: ConsolidateRun.Report
        public init(report: ConsolidateRun.Report) { self.report = report }
    }
}

/// `consolidate.undo`: reverts every change a run made (memories it changed
/// and nobody changed since, links it made, tier moves); the run's report
/// then shows state `undone` and what was restored.
public enum ConsolidateUndo: RPCMethod {
    public static let name = "consolidate.undo"
    public static let paramKeys: Set<String> = ["run_id"]
    public typealias Params = ConsolidateReport.Params

    public struct Result: Codable, Sendable, Hashable {
        public var runID: String
        /// Memories restored, links removed and moves reversed.
        public var undo: ConsolidateRun.StepReport

        enum CodingKeys: String, CodingKey {
            case undo
            case runID = "run_id"
        }

        public init(runID: String, undo: ConsolidateRun.StepReport) {
            self.runID = runID
            self.undo = undo
        }
    }
}
