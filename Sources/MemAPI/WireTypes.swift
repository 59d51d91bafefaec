import MemCube
import MemJSON

/// Filters shared by recall and list.
public struct WireFilter: Codable, Sendable, Hashable {
    /// The filter as sent: an object in the filter language (docs/filters.md),
    /// read by the daemon's `FilterParser`, which names the place of every error.
    public var json: JSONValue

    public init(json: JSONValue) { self.json = json }

    /// The shorthand fields, each an equality (tags: all of them); nil ones are left out.
    public init(
        tags: [String]? = nil, agent: String? = nil, session: String? = nil, since: Timestamp? = nil,
        until: Timestamp? = nil, state: String? = nil, kind: String? = nil, model: String? = nil, tier: String? = nil,
        speaker: String? = nil
    ) {
        var object: [String: JSONValue] = [:]
        if let tags { object["tags"] = .array(tags.map(JSONValue.string)) }
        for (key, value) in [("agent", agent), ("session", session), ("speaker", speaker), ("state", state), ("kind", kind),
                             ("model", model), ("tier", tier), ("since", since?.iso8601), ("until", until?.iso8601)] {
            if let value { object[key] = .string(value) }
        }
        json = .object(object)
    }

    public init(from decoder: Decoder) throws {
        json = try decoder.singleValueContainer().decode(JSONValue.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(json)
    }
}

/// A memory as the protocol shows it (the current version of a cube).
public struct WireMemory: Codable, Sendable, Hashable {
    public var id: String
    public var namespace: String
    public var kind: String
    public var text: String?
    public var version: Int
    public var state: String
    public var tier: String
    public var tags: [String]
    public var attributes: [String: JSONValue]
    public var importance: Double
    public var agent: String?
    public var session: String?
    /// Who said it, for a conversation turn.
    public var speaker: String?
    public var occurredAt: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var expiresAt: Timestamp?
    public var validFrom: Timestamp?
    public var validTo: Timestamp?
    public var access: WireAccess
    public var source: JSONValue?
    public var derivedFrom: [String]
    /// Activation and parameter cubes: the payload's hash, size, format, model and layout.
    public var content: Content?
    /// Set when the memory is damaged: its payload file is missing (`memctl doctor`).
    public var damaged: String?

    public struct WireAccess: Codable, Sendable, Hashable {
        public var count: Int
        public var lastAccess: Timestamp?
        public var heat: Double

        enum CodingKeys: String, CodingKey {
            case count, heat
            case lastAccess = "last_access"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, namespace, kind, text, version, state, tier, tags, attributes, importance, agent, session, speaker
        case access, source, content, damaged
        case occurredAt = "occurred_at", createdAt = "created_at", updatedAt = "updated_at"
        case expiresAt = "expires_at", validFrom = "valid_from", validTo = "valid_to"
        case derivedFrom = "derived_from"
    }

    public init(_ cube: MemCube) {
        id = cube.id.rawValue
        namespace = cube.namespace
        kind = cube.kind.rawValue
        text = cube.text
        version = cube.version
        state = cube.state.rawValue
        tier = cube.tier.rawValue
        tags = cube.tags
        attributes = cube.attributes
        importance = cube.importance
        agent = cube.agent
        session = cube.session
        speaker = cube.speaker
        occurredAt = cube.occurredAt
        createdAt = cube.createdAt
        updatedAt = cube.updatedAt
        expiresAt = cube.expiresAt
        validFrom = cube.validFrom
        validTo = cube.validTo
        access = WireAccess(count: cube.access.count, lastAccess: cube.access.lastAccess, heat: cube.access.heat)
        source = cube.provenance.source
        derivedFrom = cube.provenance.derivedFrom.map(\.rawValue)
        content = cube.content
        damaged = cube.damaged
    }
}

/// One immutable version of a memory, with who changed it and how.
public struct WireVersion: Codable, Sendable, Hashable {
    public var version: Int
    public var text: String?
    public var tags: [String]
    public var attributes: [String: JSONValue]
    public var importance: Double
    public var state: String
    public var session: String?
    public var occurredAt: Timestamp?
    public var expiresAt: Timestamp?
    public var validTo: Timestamp?
    public var operation: String
    public var agent: String?
    public var peerUID: UInt32?
    public var peerPID: Int32?
    public var source: JSONValue?
    public var derivedFrom: [String]
    public var at: Timestamp

    enum CodingKeys: String, CodingKey {
        case version, text, tags, attributes, importance, state, session, operation, agent, source, at
        case occurredAt = "occurred_at", expiresAt = "expires_at", validTo = "valid_to"
        case peerUID = "peer_uid", peerPID = "peer_pid", derivedFrom = "derived_from"
    }

    public init(_ v: CubeVersion) {
        version = v.version
        text = v.text
        tags = v.tags
        attributes = v.attributes
        importance = v.importance
        state = v.state.rawValue
        session = v.session
        occurredAt = v.occurredAt
        expiresAt = v.expiresAt
        validTo = v.validTo
        operation = v.provenance.operation.rawValue
        agent = v.provenance.agent
        peerUID = v.provenance.peerUID
        peerPID = v.provenance.peerPID
        source = v.provenance.source
        derivedFrom = v.provenance.derivedFrom.map(\.rawValue)
        at = v.at
    }
}

/// Params naming one memory: `{namespace, id}` (memory.history, scheduler.pin, .unpin).
public struct MemoryRef: WireParams, NamespacedParams, Hashable {
    public static let keys = codingKeyNames(CodingKeys.self)
    public var namespace: String
    public var id: String

    public init(namespace: String, id: String) {
        self.namespace = namespace
        self.id = id
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case namespace, id }
}
