import Consolidation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The protocol's methods, implemented over the store, the index and recall.
///
/// Each method validates its params first (a `ValidationError` names the
/// field), then does its work; nothing is written unless all input is valid.
public final class MemoryService: Sendable {
    let store: any CubeStore
    let index: any VectorIndex
    public let keywords: KeywordIndex
    let embedder: any Embedder
    let engine: RecallEngine
    /// Writes that the indexes follow (adds, revisions, tier moves).
    let writes: IndexedStore
    let accessLog: AccessLog
    let limits: Limits
    /// For what a handler notices beyond its reply (a degraded recall).
    let logger: Logger
    let startedAt: Timestamp
    /// The time every request, tick and consolidation run reads: the system's
    /// clock in memosd, a `ManualClock` in tests.
    public let clock: WallClock
    let serverStats: @Sendable () -> (connections: Int, requests: Int, errors: Int)
    public let reindexer: Reindexer
    public let scheduler: TierScheduler
    public let runners: RunnerHub
    let coRecall = CoRecall()
    /// The consolidation job (runs, resumes, undo).
    public let consolidator: Consolidator
    /// Whether any `conflicts_with` link exists: recall looks them up only then.
    let conflictLinks: ConflictLinks
    /// Who may use which namespace (other local users, when let in).
    public let namespaces: NamespaceAccess
    /// The chat endpoint (`--chat-url`), for `memory.ingest {extract: true}`; nil without one.
    let chat: ChatSummarizer?

    public static let version = MemosVersion.current

    public init(
        store: any CubeStore, index: any VectorIndex, keywords: KeywordIndex = KeywordIndex(), embedder: any Embedder,
        accessLog: AccessLog, limits: Limits = Limits(), fusion: RankFusion = RankFusion(), planner: TierPlanner = TierPlanner(),
        runners: RunnerHub = RunnerHub(), consolidationSettings: ConsolidationSettings = ConsolidationSettings(), rerank: Rerank = Rerank(),
        logger: Logger = Logger(level: .warning), clock: WallClock = .system, daemonUID: UInt32 = getuid(),
        serverStats: @escaping @Sendable () -> (connections: Int, requests: Int, errors: Int) = { (0, 0, 0) }
    ) throws {
        self.store = store
        self.namespaces = try NamespaceAccess(store: store, daemonUID: daemonUID, now: clock.now())
        self.chat = consolidationSettings.chat
        self.logger = logger
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
        self.writes = IndexedStore(store: store, index: index, keywords: keywords, embedder: embedder)
        self.engine = RecallEngine(store: store, index: index, keywords: keywords, embedder: embedder, fusion: fusion, rerank: rerank)
        self.accessLog = accessLog
        self.limits = limits
        self.clock = clock
        self.startedAt = clock.now()
        self.serverStats = serverStats
        self.scheduler = TierScheduler(store: store, planner: planner)
        self.runners = runners
        let conflictLinks = ConflictLinks(exist: (try? store.hasEdges(type: "conflicts_with")) ?? true)
        self.conflictLinks = conflictLinks
        self.consolidator = Consolidator(
            writes: writes, accessLog: accessLog, planner: planner, settings: consolidationSettings, clock: clock,
            conflictLinked: { conflictLinks.exist.store(true, ordering: .relaxed) })
        self.reindexer = Reindexer(store: store, index: index, embedder: embedder) { message, metadata in
            logger.info(message, metadata)
        }
    }

    /// The dispatcher serving every method of this service.
    public func dispatcher(logger: Logger, maxBatchRequests: Int = 100) -> Dispatcher {
        func entry<M: RPCMethod>(
            _ method: M.Type, _ body: @escaping @Sendable (M.Params, RequestContext) throws -> M.Result
        ) -> (String, Dispatcher.Handler) {
            Dispatcher.entry(method, access: namespaces, body)
        }
        let handlers: [(String, Dispatcher.Handler)] = [
            entry(MemoryAdd.self) { [self] in try add($0, $1) },
            entry(MemoryRecall.self) { [self] in try recall($0, $1) },
            entry(MemoryForget.self) { [self] in try forget($0, $1) },
            entry(MemoryGet.self) { [self] in try get($0, $1) },
            entry(MemoryUpdate.self) { [self] in try update($0, $1) },
            entry(MemoryHistory.self) { [self] in try history($0, $1) },
            entry(MemoryRevert.self) { [self] in try revert($0, $1) },
            entry(MemoryList.self) { [self] in try list($0, $1) },
            entry(SystemHealth.self) { [self] in health($0, $1) },
            entry(SystemStats.self) { [self] in try stats($0, $1) },
            entry(SystemReindex.self) { [self] in try reindex($0, $1) },
            entry(MemoryLink.self) { [self] in try link($0, $1) },
            entry(GraphNeighbors.self) { [self] in try neighbors($0, $1) },
            entry(MemoryFuse.self) { [self] in try fuse($0, $1) },
            entry(MemoryCompose.self) { [self] in try compose($0, $1) },
            entry(SchedulerStatus.self) { [self] in try schedulerStatus($0, $1) },
            entry(SchedulerPromote.self) { [self] in try promote($0, $1) },
            entry(SchedulerDemote.self) { [self] in try demote($0, $1) },
            entry(SchedulerPin.self) { [self] in try pin($0, $1) },
            entry(SchedulerUnpin.self) { [self] in try unpin($0, $1) },
            entry(SchedulerTouch.self) { [self] in try touch($0, $1) },
            entry(SchedulerTick.self) { [self] in try tick($0, $1) },
            entry(SchedulerSubscribe.self) { [self] in try subscribe($0, $1) },
            entry(SchedulerComplete.self) { [self] in try complete($0, $1) },
            entry(SchedulerFail.self) { [self] in try fail($0, $1) },
            entry(ConsolidateRun.self) { [self] in try consolidate($0, $1) },
            entry(ConsolidateStatus.self) { [self] in try consolidationStatus($0, $1) },
            entry(ConsolidateReport.self) { [self] in try consolidationReport($0, $1) },
            entry(ConsolidateUndo.self) { [self] in try undoConsolidation($0, $1) },
            entry(NamespaceShare.self) { [self] in try share($0, $1) },
            entry(NamespaceUnshare.self) { [self] in try unshare($0, $1) },
            entry(NamespaceList.self) { [self] in listNamespaces($0, $1) },
            entry(SystemDoctor.self) { [self] in try doctor($0, $1) },
            entry(SystemBackup.self) { [self] in try backup($0, $1) },
            entry(MemoryExport.self) { [self] in try export($0, $1) },
            entry(MemoryImport.self) { [self] in try importRecords($0, $1) },
            entry(MemoryIngest.self) { [self] in try ingest($0, $1) },
        ]
        return Dispatcher(
            handlers: Dictionary(handlers, uniquingKeysWith: { _, _ in preconditionFailure("method registered twice") }),
            logger: logger, clock: clock, maxBatchRequests: maxBatchRequests)
    }

    /// Loads every stored vector of the current embedder into the index,
    /// namespace by namespace (an index may restore saved structures from
    /// `snapshotDirectory`); `report` hears how each was loaded.
    /// Returns (loaded, skipped): skipped vectors came from another embedder.
    public static func buildIndex(
        _ index: any VectorIndex, from store: any CubeStore, embedder: any Embedder, snapshotDirectory: String? = nil,
        report: (String, Int, String) -> Void = { _, _, _ in }
    ) throws -> (loaded: Int, skipped: Int) {
        var loaded = 0, skipped = 0
        var byNamespace: [String: [VectorRecord]] = [:]
        try store.forEachVector { record in
            guard record.embedding.embedder == embedder.id, record.embedding.vector.count == embedder.dimension else {
                skipped += 1
                return
            }
            byNamespace[record.namespace, default: []].append(record)
            loaded += 1
        }
        for (namespace, records) in byNamespace.sorted(by: { $0.key < $1.key }) {
            let how = index.load(namespace: namespace, records: records, snapshotDirectory: snapshotDirectory)
            report(namespace, records.count, how)
        }
        return (loaded, skipped)
    }

    /// Indexes the text of every active memory for keyword search; returns how many.
    public static func buildKeywordIndex(_ keywords: KeywordIndex, from store: any CubeStore) throws -> Int {
        var count = 0
        try store.forEachText { record in
            keywords.upsert(namespace: record.namespace, key: record.key, text: record.text, meta: record.meta)
            count += 1
        }
        return count
    }

    // MARK: - Shared validation

    func cubeID(_ text: String, field: String) throws(ValidationError) -> CubeID {
        guard let id = CubeID(text) else {
            throw ValidationError(field: field, "'\(text)' is not a memory id (26 characters, e.g. 01JD3Q6T5V8XKZ2M4N6P8R0S2T)")
        }
        return id
    }

    /// A request's filter in the filter language (docs/filters.md). `allowState`:
    /// the top-level `state` and `model` keys, which only reads of the store understand.
    func filter(_ wire: WireFilter?, field: String, allowState: Bool) throws(ValidationError) -> CubeFilter {
        try FilterParser(limits: limits, listOnlyAllowed: allowState).parse(wire?.json, field: field)
    }

    func provenance(_ operation: Operation, agent: String?, context: RequestContext, source: JSONValue? = nil) -> Provenance {
        Provenance(
            agent: agent, peerUID: context.peer?.uid, peerPID: context.peer?.pid, operation: operation, source: source)
    }
}

/// Whether any `conflicts_with` link exists (set by consolidation, read by recall).
final class ConflictLinks: Sendable {
    let exist: Atomic<Bool>
    init(exist: Bool) { self.exist = Atomic(exist) }
}
