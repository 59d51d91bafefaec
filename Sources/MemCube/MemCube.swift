import MemJSON
/// The unit of memory: one plaintext memory, activation snapshot or
/// parameter delta, with its scope, metadata, provenance and life cycle.
///
/// A `MemCube` is the *current* state of a cube; every change to it also
/// appends an immutable `CubeVersion`.
public struct MemCube: Sendable, Hashable {
    public var id: CubeID
    public var kind: Kind
    public var namespace: String
    public var agent: String?
    public var session: String?
    /// The memory text for plaintext cubes; nil once purged.
    public var text: String?
    public var tags: [String]
    public var attributes: [String: JSONValue]
    /// 0...1, set by the writer; used by ranking and the scheduler.
    public var importance: Double
    public var version: Int
    public var state: CubeState
    public var tier: Tier
    /// When the remembered event happened (event time).
    public var occurredAt: Timestamp?
    /// When memos first recorded the cube (record time).
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var validFrom: Timestamp?
    public var validTo: Timestamp?
    public var expiresAt: Timestamp?
    public var access: Access
    public var provenance: Provenance
    /// The stored payload of an activation or parameter cube (nil for plaintext).
    public var content: Content?
    /// Why the cube is damaged (its payload file is missing), nil when whole.
    public var damaged: String?
    /// Who said it, for a conversation turn (the message's name, else its role).
    public var speaker: String?

    public init(
        id: CubeID, kind: Kind = .plaintext, namespace: String, agent: String? = nil,
        session: String? = nil, text: String?, tags: [String] = [],
        attributes: [String: JSONValue] = [:], importance: Double = 0.5, version: Int = 1,
        state: CubeState = .active, tier: Tier = .active, occurredAt: Timestamp? = nil,
        createdAt: Timestamp, updatedAt: Timestamp? = nil, validFrom: Timestamp? = nil,
        validTo: Timestamp? = nil, expiresAt: Timestamp? = nil, access: Access = Access(),
        provenance: Provenance, content: Content? = nil, damaged: String? = nil, speaker: String? = nil
    ) {
        self.speaker = speaker
        self.content = content
        self.damaged = damaged
        self.id = id
        self.kind = kind
        self.namespace = namespace
        self.agent = agent
        self.session = session
        self.text = text
        self.tags = tags
        self.attributes = attributes
        self.importance = importance
        self.version = version
        self.state = state
        self.tier = tier
        self.occurredAt = occurredAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.expiresAt = expiresAt
        self.access = access
        self.provenance = provenance
    }

    /// True when the cube's TTL has passed at `now`.
    public func isExpired(at now: Timestamp) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }
}

/// The payload of an activation or parameter cube: a content-addressed blob
/// and what is known about it.
public struct Content: Sendable, Hashable, Codable {
    /// SHA-256 (hex) of the bytes, which name the blob file.
    public var sha256: String
    public var size: Int64
    /// `safetensors`, or an opaque format named by the client (e.g. `llama.cpp-slot`).
    public var format: String
    /// The base model the payload belongs to.
    public var model: String
    /// Layout details: read from a safetensors header (layers, heads, head_dim,
    /// dtype, tokens for activations; rank, alpha, target_modules for
    /// parameters) or given by the client.
    public var meta: [String: JSONValue]

    public init(sha256: String, size: Int64, format: String, model: String, meta: [String: JSONValue] = [:]) {
        self.sha256 = sha256
        self.size = size
        self.format = format
        self.model = model
        self.meta = meta
    }
}

/// How often and how recently a cube was used; the scheduler's input.
public struct Access: Sendable, Hashable {
    public var count: Int
    public var lastAccess: Timestamp?
    /// Exponentially decayed access score.
    public var heat: Double

    public init(count: Int = 0, lastAccess: Timestamp? = nil, heat: Double = 0) {
        self.count = count
        self.lastAccess = lastAccess
        self.heat = heat
    }
}

/// Who made a change, how, and from what.
public struct Provenance: Sendable, Hashable {
    /// The agent the client declared (untrusted, informative).
    public var agent: String?
    /// The peer's credentials from the socket (SO_PEERCRED); trusted.
    public var peerUID: UInt32?
    public var peerPID: Int32?
    public var operation: Operation
    /// Where the memory came from, as the client described it
    /// (`{"type": "chat", "role": "user", "message_id": "..."}`).
    public var source: JSONValue?
    public var derivedFrom: [CubeID]

    public init(
        agent: String? = nil, peerUID: UInt32? = nil, peerPID: Int32? = nil,
        operation: Operation, source: JSONValue? = nil, derivedFrom: [CubeID] = []
    ) {
        self.agent = agent
        self.peerUID = peerUID
        self.peerPID = peerPID
        self.operation = operation
        self.source = source
        self.derivedFrom = derivedFrom
    }
}

/// One immutable row of a cube's history: the full state after a change.
public struct CubeVersion: Sendable, Hashable {
    public var version: Int
    public var text: String?
    public var tags: [String]
    public var attributes: [String: JSONValue]
    public var importance: Double
    public var state: CubeState
    public var session: String?
    public var occurredAt: Timestamp?
    public var expiresAt: Timestamp?
    public var validTo: Timestamp?
    public var provenance: Provenance
    /// When this version was written.
    public var at: Timestamp

    public init(
        version: Int, text: String?, tags: [String], attributes: [String: JSONValue],
        importance: Double, state: CubeState, session: String?, occurredAt: Timestamp?,
        expiresAt: Timestamp?, validTo: Timestamp?, provenance: Provenance, at: Timestamp
    ) {
        self.version = version
        self.text = text
        self.tags = tags
        self.attributes = attributes
        self.importance = importance
        self.state = state
        self.session = session
        self.occurredAt = occurredAt
        self.expiresAt = expiresAt
        self.validTo = validTo
        self.provenance = provenance
        self.at = at
    }

    /// The version row that records `cube` as it is now.
    public init(of cube: MemCube, at: Timestamp) {
        self.init(
            version: cube.version, text: cube.text, tags: cube.tags, attributes: cube.attributes,
            importance: cube.importance, state: cube.state, session: cube.session,
            occurredAt: cube.occurredAt, expiresAt: cube.expiresAt, validTo: cube.validTo,
            provenance: cube.provenance, at: at)
    }
}
