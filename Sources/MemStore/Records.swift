import MemCube
import MemJSON

/// A cube together with its storage key (the SQLite rowid), which the
/// vector index uses as its compact key.
public struct StoredCube: Sendable, Hashable {
    public var key: Int64
    public var cube: MemCube

    public init(key: Int64, cube: MemCube) {
        self.key = key
        self.cube = cube
    }
}

/// A cube to insert, with its embedding (nil when it has no text) and the
/// entities its text mentions.
public struct NewCube: Sendable {
    public var cube: MemCube
    public var embedding: Embedding?
    public var entities: [Entity]

    public init(cube: MemCube, embedding: Embedding?, entities: [Entity] = []) {
        self.cube = cube
        self.embedding = embedding
        self.entities = entities
    }
}

/// A typed, weighted link from one cube to another. Built-in types: `next`
/// (session order), `derived` (derived_from); anything else was linked by a
/// client with memory.link.
public struct Neighbor: Sendable, Hashable {
    public var key: Int64
    public var type: String
    public var weight: Double
    /// True when the edge points from the asked cube to this one.
    public var outgoing: Bool
}

/// An entity with how many cubes mention it (its document frequency).
public struct EntityStat: Sendable, Hashable {
    public var id: Int64
    public var entity: Entity
    public var mentions: Int
}

/// A vector and the embedder that produced it (a namespace never mixes two).
public struct Embedding: Sendable, Hashable {
    public var embedder: String
    public var vector: [Float]

    public init(embedder: String, vector: [Float]) {
        self.embedder = embedder
        self.vector = vector
    }
}

/// Which cubes a read may return, beyond the namespace.
///
/// `tags` must all be present; `since`/`until` apply to the event time
/// (`occurred_at`), or the record time when the event time is unknown.
public struct CubeFilter: Sendable, Hashable {
    public enum States: String, Sendable, Hashable, CaseIterable {
        case active, superseded, forgotten, any
    }

    public var tags: [String]
    public var agent: String?
    public var session: String?
    public var speaker: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var states: States
    /// list only (recall rejects them): kind, payload model, tier.
    public var kind: Kind?
    public var model: String?
    public var tier: Tier?
    /// The conditions beyond the shorthand fields above (operators,
    /// attributes, and/or/not), all of which must hold as well.
    public var expression: FilterExpression?

    public init(
        tags: [String] = [], agent: String? = nil, session: String? = nil,
        since: Timestamp? = nil, until: Timestamp? = nil, states: States = .active
    ) {
        self.tags = tags
        self.agent = agent
        self.session = session
        self.since = since
        self.until = until
        self.states = states
    }

    /// The whole filter (state aside) on a loaded memory: the same predicate as the SQL filter.
    public func matches(_ cube: MemCube) -> Bool {
        if let kind, kind != cube.kind { return false }
        if let tier, tier != cube.tier { return false }
        if let model, model != cube.content?.model { return false }
        return matches(tags: cube.tags, agent: cube.agent, session: cube.session, time: cube.occurredAt ?? cube.createdAt, speaker: cube.speaker)
            && expression?.matches(cube) != false
    }

    /// The shorthand fields' predicate, for in-memory candidates.
    public func matches(
        tags cubeTags: [String], agent cubeAgent: String?, session cubeSession: String?,
        time: Timestamp, speaker cubeSpeaker: String?
    ) -> Bool {
        if let agent, agent != cubeAgent { return false }
        if let speaker, speaker != cubeSpeaker { return false }
        if let session, session != cubeSession { return false }
        if let since, time < since { return false }
        if let until, time > until { return false }
        return tags.allSatisfy(cubeTags.contains)
    }
}

/// Fields an update changes; nil leaves a field as it is.
public struct CubeChange: Sendable {
    public var text: String?
    public var tags: [String]?
    public var attributes: [String: JSONValue]?
    public var importance: Double?
    public var occurredAt: Timestamp?
    public var session: String?
    /// `.some(nil)` clears the TTL.
    public var expiresAt: Timestamp??
    /// The new embedding when the text changes.
    public var embedding: Embedding?
    /// The new text's entities (replacing the old mentions) when the text changes.
    public var entities: [Entity]?

    public init(
        text: String? = nil, tags: [String]? = nil, attributes: [String: JSONValue]? = nil,
        importance: Double? = nil, occurredAt: Timestamp? = nil, session: String? = nil,
        expiresAt: Timestamp?? = nil, embedding: Embedding? = nil
    ) {
        self.text = text
        self.tags = tags
        self.attributes = attributes
        self.importance = importance
        self.occurredAt = occurredAt
        self.session = session
        self.expiresAt = expiresAt
        self.embedding = embedding
    }

    public var isEmpty: Bool {
        text == nil && tags == nil && attributes == nil && importance == nil && occurredAt == nil
            && session == nil && expiresAt == nil
    }
}

/// One use of a cube (a recall hit or a get), batched by the caller.
public struct AccessEvent: Sendable, Hashable {
    public var key: Int64
    public var hits: Int
    public var at: Timestamp

    public init(key: Int64, hits: Int, at: Timestamp) {
        self.key = key
        self.hits = hits
        self.at = at
    }
}

/// One page of `list`: the cubes and the cursor for the next page.
public struct CubePage: Sendable {
    public var cubes: [MemCube]
    public var nextCursor: String?
}

/// Counts for `system.stats`.
public struct StoreStats: Sendable {
    public struct NamespaceCounts: Sendable {
        public var namespace: String
        public var active: Int
        public var superseded: Int
        public var forgotten: Int
    }

    public var namespaces: [NamespaceCounts]
    public var versions: Int
    public var vectors: Int
    public var auditEntries: Int
    public var databaseBytes: Int64
    public var walBytes: Int64
}
