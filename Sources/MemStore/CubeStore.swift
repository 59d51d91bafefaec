import MemCube
import MemJSON

/// The storage interface the rest of memos sees: the roles below, each a
/// protocol of its own, none naming a storage engine's operations. SQLite
/// (`SQLiteStore`) implements them all; a second backend (PostgreSQL +
/// pgvector is on the roadmap) implements the same roles.
///
/// Writes take an `afterCommit` closure that runs after the transaction
/// commits and before the next write starts, so derived structures (the
/// vector index) see changes in commit order.
public protocol CubeStore:
    CubeRepository, VectorRepository, GraphRepository, TierRepository, PayloadRepository, ConsolidationRepository, NamespaceRepository,
    TransferRepository,
    StoreMaintenance, AnyObject, Sendable {}

/// Memories and their versions.
public protocol CubeRepository: AnyObject {
    func add(_ items: [NewCube], afterCommit: ([StoredCube]) -> Void) throws -> [StoredCube]

    func update(
        namespace: String, id: CubeID, change: CubeChange, expectedVersion: Int?,
        provenance: Provenance, at: Timestamp, afterCommit: (StoredCube) -> Void
    ) throws -> StoredCube

    /// Soft-forgets (tombstone, kept in history) or purges the cubes; all or
    /// nothing. Returns how many changed and hands their keys to `afterCommit`.
    func forget(
        namespace: String, ids: [CubeID], purge: Bool, provenance: Provenance, at: Timestamp,
        afterCommit: ([Int64]) -> Void
    ) throws -> Int

    /// `forget` of every cube of `namespace` that passes `filter` (the list
    /// predicate), chosen inside the same transaction. Returns how many
    /// matched and how many changed.
    func forget(
        namespace: String, matching filter: CubeFilter, purge: Bool, provenance: Provenance, at: Timestamp,
        afterCommit: ([Int64]) -> Void
    ) throws -> (matched: Int, changed: Int)

    /// Writes each revision as a new version of its cube, with the links a
    /// run makes beside them, all or none; a cube that moved past its
    /// `expectedVersion` fails the whole write.
    func revise(
        namespace: String, _ revisions: [CubeRevision], linking: [RunEdge], runID: String?, at: Timestamp,
        afterCommit: ([RevisedCube]) -> Void
    ) throws -> [RevisedCube]

    func get(namespace: String, id: CubeID, now: Timestamp) throws -> StoredCube
    func version(namespace: String, id: CubeID, version: Int) throws -> CubeVersion
    func history(namespace: String, id: CubeID) throws -> [CubeVersion]
    func list(namespace: String, filter: CubeFilter, limit: Int, cursor: CubeID?, now: Timestamp) throws -> CubePage
    /// How many cubes of `namespace` pass `filter`, and the ids of the first `sample` of them, newest first.
    func count(namespace: String, filter: CubeFilter, sample: Int, now: Timestamp) throws -> (count: Int, ids: [CubeID])
    /// The cubes of `namespace` with these ids that pass `filter`, by id.
    func cubes(namespace: String, ids: [CubeID], filter: CubeFilter, now: Timestamp) throws -> [CubeID: MemCube]
    /// Active, unexpired cubes of `namespace` with these keys.
    func cubes(namespace: String, keys: [Int64], now: Timestamp) throws -> [Int64: MemCube]
    /// Active, unexpired plaintext cubes of `namespace`, in key order.
    func activeTextCubes(namespace: String, now: Timestamp) throws -> [StoredCube]
    /// Active memories whose TTL has passed, in key order after `afterKey`, in `namespace` or all.
    func expiredCubes(namespace: String?, now: Timestamp, afterKey: Int64, limit: Int) throws -> [(key: Int64, namespace: String, id: CubeID)]
    /// Every active cube with text, in key order, for building the keyword index.
    func forEachText(_ body: (TextRecord) throws -> Void) throws
    func stats() throws -> StoreStats
}

/// The stored vectors (embeddings) of memories.
public protocol VectorRepository: AnyObject {
    /// Every stored vector of an active, not archived cube, for building the index.
    func forEachVector(_ body: (VectorRecord) throws -> Void) throws
    /// The stored vectors of these active cubes (any tier).
    func vectorRecords(keys: [Int64]) throws -> [VectorRecord]
    /// Active cubes with text whose stored vector is missing or comes from
    /// another embedder (or dimension), in key order after `afterKey`.
    func cubesNeedingEmbedding(embedder: String, dimension: Int, afterKey: Int64, limit: Int) throws -> [EmbeddingTask]
    func countNeedingEmbedding(embedder: String, dimension: Int) throws -> Int
    /// Stores vectors for cubes still at the given version (a cube changed
    /// meanwhile keeps the vector its update wrote); returns the keys stored.
    func putEmbeddings(_ items: [EmbeddingResult], afterCommit: ([EmbeddingResult]) -> Void) throws -> Int
}

/// Links between memories and the entities they mention.
public protocol GraphRepository: AnyObject {
    /// Adds (or re-weights) an edge between two cubes of `namespace`.
    func link(namespace: String, from: CubeID, to: CubeID, type: String, weight: Double, provenance: Provenance, at: Timestamp) throws
    /// Edges in both directions of each cube, with their other ends.
    func neighbors(keys: [Int64]) throws -> [Int64: [Neighbor]]
    /// The entities each cube mentions, with their mention counts.
    func entities(ofKeys keys: [Int64]) throws -> [Int64: [EntityStat]]
    /// Entities of `namespace` with one of these normalized keys (any kind).
    func findEntities(namespace: String, keys: [String]) throws -> [EntityStat]
    /// Cubes mentioning each entity, at most `limit` per entity (newest first).
    func mentions(entityIDs: [Int64], limit: Int) throws -> [Int64: [Int64]]
    /// Adds links made by a run (an existing link is left as it is); returns how many were new.
    @discardableResult
    func addEdges(_ edges: [RunEdge], runID: String, at: Timestamp) throws -> Int
    /// Removes the links run `runID` made; returns how many.
    func removeEdges(runID: String) throws -> Int
    /// True when any link of `type` exists (recall skips a lookup when none does).
    func hasEdges(type: String) throws -> Bool
    /// For each key, the active cubes linked to it by `type` (either direction).
    func linked(keys: [Int64], type: String) throws -> [Int64: [CubeID]]
    /// The `name` entities of `namespace` with their mention counts.
    func nameEntities(namespace: String) throws -> [EntityStat]
    /// Makes each pair of entities (aliases of one name) mention the same
    /// memories: each gets the other's mentions. Returns the mentions added.
    func shareMentions(_ pairs: [(Int64, Int64)]) throws -> Int
}

/// The scheduler's state: tiers, heat, pins, the log of moves.
public protocol TierRepository: AnyObject {
    func recordAccess(_ events: [AccessEvent], heat: @Sendable (Double, Timestamp?, Int, Timestamp) -> Double) throws
    /// The scheduling state of every active memory, or (with `candidates`)
    /// of those a tick can move.
    func tierRecords(_ candidates: TierCandidates?) throws -> [TierRecord]
    /// Applies tier changes still valid, logs them; returns those applied.
    @discardableResult
    func applyTierChanges(_ changes: [TierChange], at: Timestamp, afterCommit: ([TierChange]) -> Void) throws -> [TierChange]
    func setPinned(namespace: String, id: CubeID, pinned: Bool) throws -> (key: Int64, tier: Tier)
    func tierEvents(limit: Int) throws -> [TierEvent]
    /// The moves a consolidation run logged.
    func tierEvents(runID: String) throws -> [(key: Int64, event: TierEvent)]
    /// Keeps these memories' rows in RAM (the working tier), loading them now, or lets them go.
    func setResident(_ keys: [Int64], _ resident: Bool) throws
    /// Working-tier memories marked resident, those loaded, and their bytes in RAM.
    var residentUsage: (marked: Int, loaded: Int, bytes: Int) { get }
}

/// Activation and parameter payloads (content-addressed files).
public protocol PayloadRepository: AnyObject {
    /// Where activation and parameter payloads live.
    var blobs: BlobStore { get }
    /// Deletes blob files no cube names, once `graceSeconds` old; returns their hashes.
    @discardableResult
    func collectBlobs(graceSeconds: Double) throws -> [String]
    /// `collectBlobs`, only when a purge may have freed a payload since the last call.
    @discardableResult
    func collectPurgedBlobs(graceSeconds: Double) throws -> [String]
    /// Marks memories whose payload file is missing `damaged` (clears the mark when it is back); returns them.
    @discardableResult
    func checkPayloadFiles() throws -> [DamagedCube]
}

/// Consolidation runs: their reports, the namespaces they covered, what they wrote.
public protocol ConsolidationRepository: AnyObject {
    func saveConsolidationRun(_ run: ConsolidationRunRecord) throws
    func consolidationRun(_ id: String?) throws -> ConsolidationRunRecord?
    func unfinishedConsolidationRuns() throws -> [ConsolidationRunRecord]
    func markConsolidated(namespaces: [String], runID: String, at: Timestamp) throws
    func namespacesChangedSinceConsolidation() throws -> [(namespace: String, changed: Bool)]
    func versionsWritten(runID: String, since: Timestamp) throws -> [RunVersion]
}

/// Whole memories out and in (memory.export, memory.import): `SQLiteStore+Transfer`.
public protocol TransferRepository: AnyObject {
    func exportRecords(
        namespace: String, afterKey: Int64, limit: Int, payloads: Bool, payloadBudget: Int
    ) throws -> [(key: Int64, record: TransferRecord)]
    func exportLinks(namespace: String, afterKey: Int64, limit: Int) throws -> (links: [TransferLink], lastKey: Int64?)
    func importRecords(
        namespace: String, _ records: [TransferRecord], vectors: [CubeID: Embedding], peer: Provenance, at: Timestamp,
        afterCommit: ([StoredCube]) -> Void
    ) throws -> (imported: [StoredCube], skipped: [CubeID])
    func importLinks(namespace: String, _ links: [TransferLink]) throws -> (imported: Int, skipped: [TransferLink])
    func storedSourceValues(namespace: String, type: String, field: String, values: [String]) throws -> Set<String>
}

/// Who owns each namespace and whom they share it with (`NamespaceAccess` in memosd).
public protocol NamespaceRepository: AnyObject {
    func namespaceOwners() throws -> [String: UInt32]
    func namespaceShares() throws -> [StoredShare]
    func claimUnownedNamespaces(owner: UInt32, also names: [String], at: Timestamp) throws
    func claimNamespace(_ namespace: String, owner uid: UInt32, at: Timestamp) throws -> UInt32
    func namespaceHasMemories(_ namespace: String) throws -> Bool
    @discardableResult
    func setShare(namespace: String, uid: UInt32, access: ShareAccess?, by provenance: Provenance, at: Timestamp) throws -> ShareAccess?
}

/// Looking after the storage itself (consolidation's upkeep step, shutdown).
public protocol StoreMaintenance: AnyObject {
    /// Refreshes the statistics the query planner uses.
    func refreshQueryStatistics() throws
    /// An online backup into `directory` (new or empty): the database and the payloads it names, with a manifest.
    func backup(to directory: String, at now: Timestamp) throws -> BackupManifest
    /// The database's schema version and the newest this build knows.
    func schemaVersion() throws -> (current: Int, supported: Int)
    /// Checks the stored data for corruption: ["ok"] or the problems found.
    func checkIntegrity() throws -> [String]
    /// Returns up to `pages` unused pages of storage to the file system;
    /// `rewrote` when the store had to be rewritten once first to allow it.
    func releaseFreeSpace(pages: Int) throws -> (rewrote: Bool, freed: Int)
    /// Makes everything written so far part of the main store (at shutdown).
    func flush() throws
}

/// A stored vector with the metadata the index filters on.
public struct VectorRecord: Sendable {
    public var key: Int64
    public var namespace: String
    public var meta: VectorMeta
    public var embedding: Embedding

    public init(key: Int64, namespace: String, meta: VectorMeta, embedding: Embedding) {
        self.key = key
        self.namespace = namespace
        self.meta = meta
        self.embedding = embedding
    }
}

/// What the vector and keyword indexes keep per entry to apply filters in
/// memory: every field the filter language tests (an indexed memory is active).
public struct VectorMeta: Sendable, Hashable {
    public var tags: [String]
    public var agent: String?
    public var session: String?
    /// Event time, or record time when the event time is unknown.
    public var time: Timestamp
    public var expiresAt: Timestamp?
    public var speaker: String?
    public var kind: Kind
    public var tier: Tier
    public var importance: Double
    public var version: Int
    public var createdAt: Timestamp
    public var occurredAt: Timestamp?
    public var validFrom: Timestamp?
    public var validTo: Timestamp?
    public var attributes: [String: JSONValue]

    public init(_ cube: MemCube) {
        self.init(
            tags: cube.tags, agent: cube.agent, session: cube.session, time: cube.occurredAt ?? cube.createdAt,
            expiresAt: cube.expiresAt, speaker: cube.speaker, kind: cube.kind, tier: cube.tier, importance: cube.importance,
            version: cube.version, createdAt: cube.createdAt, occurredAt: cube.occurredAt, validFrom: cube.validFrom,
            validTo: cube.validTo, attributes: cube.attributes)
    }

    public init(
        tags: [String], agent: String?, session: String?, time: Timestamp, expiresAt: Timestamp?, speaker: String? = nil,
        kind: Kind = .plaintext, tier: Tier = .active, importance: Double = 0.5, version: Int = 1, createdAt: Timestamp? = nil,
        occurredAt: Timestamp? = nil, validFrom: Timestamp? = nil, validTo: Timestamp? = nil, attributes: [String: JSONValue] = [:]
    ) {
        self.tags = tags
        self.agent = agent
        self.session = session
        self.time = time
        self.expiresAt = expiresAt
        self.speaker = speaker
        self.kind = kind
        self.tier = tier
        self.importance = importance
        self.version = version
        self.createdAt = createdAt ?? time
        self.occurredAt = occurredAt
        self.validFrom = validFrom
        self.validTo = validTo
        self.attributes = attributes
    }

    public func matches(_ filter: CubeFilter, now: Timestamp) -> Bool {
        if let expiresAt, expiresAt <= now { return false }
        if let kind = filter.kind, kind != self.kind { return false }
        if let tier = filter.tier, tier != self.tier { return false }
        return filter.matches(tags: tags, agent: agent, session: session, time: time, speaker: speaker)
            && filter.expression?.matches(self) != false
    }
}

extension VectorMeta: FilterSubject {
    public func filterValue(_ field: FilterField) -> FilterValue? {
        Self.value(
            field, tags: tags, agent: agent, session: session, speaker: speaker, kind: kind, tier: tier, state: .active,
            importance: importance, version: version, createdAt: createdAt, occurredAt: occurredAt, validFrom: validFrom,
            validTo: validTo, expiresAt: expiresAt, attributes: attributes)
    }
}

/// An active cube's text with the metadata the keyword index filters on.
public struct TextRecord: Sendable {
    public var key: Int64
    public var namespace: String
    public var text: String
    public var meta: VectorMeta

    public init(key: Int64, namespace: String, text: String, meta: VectorMeta) {
        self.key = key
        self.namespace = namespace
        self.text = text
        self.meta = meta
    }
}

/// A cube whose text needs (re-)embedding.
public struct EmbeddingTask: Sendable {
    public var key: Int64
    public var namespace: String
    public var version: Int
    public var text: String
    public var meta: VectorMeta
}

/// A computed vector for an `EmbeddingTask`.
public struct EmbeddingResult: Sendable {
    public var task: EmbeddingTask
    public var embedding: Embedding

    public init(task: EmbeddingTask, embedding: Embedding) {
        self.task = task
        self.embedding = embedding
    }
}

extension CubeStore {
    /// Every active memory's scheduling state.
    public func tierRecords() throws -> [TierRecord] { try tierRecords(nil) }
}
