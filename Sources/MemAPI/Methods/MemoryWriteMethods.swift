import MemCube
import MemJSON

// memory.add, .update, .forget, .revert: the methods that write memories.

/// `memory.add`: store one memory (`text`) or a batch (`items`).
public enum MemoryAdd: RPCMethod {
    public static let name = "memory.add"
    public static let access = MethodAccess.write

    public struct Item: Codable, Sendable, Hashable {
        public var text: String?
        public var agent: String?
        public var session: String?
        /// Who said it (a conversation turn): a person's name or a role.
        public var speaker: String?
        public var tags: [String]?
        public var attributes: [String: JSONValue]?
        public var importance: Double?
        public var occurredAt: Timestamp?
        /// From when the fact holds (default: always): recall ranks a memory
        /// not yet valid at its reference time below current ones.
        public var validFrom: Timestamp?
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
        /// The payload as a file the client opened and passed with the
        /// request (SCM_RIGHTS): its position among the passed descriptors.
        public var fd: Int?
        /// Layout details the client knows (e.g. `tokenizer`, `alpha`); those
        /// read from a safetensors header are added and must agree.
        public var meta: [String: JSONValue]?
        /// Ids of the memories this one was computed from.
        public var derivedFrom: [String]?

        public static let keys = codingKeyNames(CodingKeys.self)

        enum CodingKeys: String, CodingKey, CaseIterable {
            case text, agent, session, speaker, tags, attributes, importance, source, entities, kind, format, model, path, data, meta, fd
            case occurredAt = "occurred_at", ttlSeconds = "ttl_seconds", derivedFrom = "derived_from", validFrom = "valid_from"
        }

        public init(
            text: String? = nil, agent: String? = nil, session: String? = nil, tags: [String]? = nil,
            attributes: [String: JSONValue]? = nil, importance: Double? = nil, occurredAt: Timestamp? = nil,
            source: JSONValue? = nil, ttlSeconds: Double? = nil, entities: [String]? = nil, kind: String? = nil,
            format: String? = nil, model: String? = nil, path: String? = nil, data: String? = nil,
            meta: [String: JSONValue]? = nil, derivedFrom: [String]? = nil, fd: Int? = nil, speaker: String? = nil,
            validFrom: Timestamp? = nil
        ) {
            self.validFrom = validFrom
            self.fd = fd
            self.speaker = speaker
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

    public struct Params: WireParams, NamespacedParams {
        public static let keys = Item.keys.union(codingKeyNames(CodingKeys.self))
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

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, items }

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

/// `memory.forget`: tombstone (default) or purge memories; all or nothing.
public enum MemoryForget: RPCMethod {
    public static let name = "memory.forget"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var id: String?
        public var ids: [String]?
        /// Every memory that passes this filter (default state active, as in memory.list); not with id/ids.
        public var filter: WireFilter?
        /// With `filter`: count what would be forgotten, change nothing.
        public var dryRun: Bool?
        public var purge: Bool?
        public var agent: String?

        public init(
            namespace: String, id: String? = nil, ids: [String]? = nil, filter: WireFilter? = nil, dryRun: Bool? = nil,
            purge: Bool? = nil, agent: String? = nil
        ) {
            self.namespace = namespace
            self.id = id
            self.ids = ids
            self.filter = filter
            self.dryRun = dryRun
            self.purge = purge
            self.agent = agent
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case namespace, id, ids, filter, purge, agent
            case dryRun = "dry_run"
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        /// The memories forgotten (or purged) by this call; 0 on a dry run.
        public var forgotten: Int
        /// With `filter`: how many memories the filter matched.
        public var matched: Int?
        /// With `dry_run`: the first ids matched (at most 100), newest first.
        public var ids: [String]?

        public init(forgotten: Int, matched: Int? = nil, ids: [String]? = nil) {
            self.forgotten = forgotten
            self.matched = matched
            self.ids = ids
        }
    }
}

/// `memory.update`: change fields of a memory, writing a new version.
public enum MemoryUpdate: RPCMethod {
    public static let name = "memory.update"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
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

        enum CodingKeys: String, CodingKey, CaseIterable {
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

/// `memory.revert`: a new version restoring an earlier one (text, tags,
/// attributes, importance, state, validity...); history keeps everything.
public enum MemoryRevert: RPCMethod {
    public static let name = "memory.revert"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var id: String
        public var toVersion: Int
        public var expectedVersion: Int?
        public var agent: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
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
