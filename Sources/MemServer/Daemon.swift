import Foundation
import MemAPI
import MemCube
import MemScheduler
import MemStore
import Retrieval
#if canImport(Glibc)
import Glibc
#endif

/// memosd's life cycle: open the store, build the index, serve, tick, and on
/// SIGTERM/SIGINT drain and shut down cleanly.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT; returns the process exit code.
    public static func run(_ config: DaemonConfig) -> Int32 {
        let logger = Logger(level: config.logLevel)
        // First, before any file or thread exists: this may re-execute the process.
        let blasChoice = BLASTuning.apply(environment: ProcessInfo.processInfo.environment)
        BLAS.setThreads(config.blasThreads)
        logger.info("blas", [("choice", blasChoice), ("threads", "\(config.blasThreads)")])
        // Block the signals in every thread (threads inherit the mask); the
        // main thread takes them synchronously with sigwait below.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        do {
            try makeDirectory(config.dataDir)
            let dataLock = try DataDirectory.claim(config.dataDir)
            defer { close(dataLock) }
            let fixed = DataDirectory.makePrivate(config.dataDir)
            if !fixed.isEmpty {
                logger.warning("made the data directory private: its files were readable by other users", [
                    ("fixed", "\(fixed.count)"), ("first", fixed[0]), ("now", "directories 0700, files 0600"),
                ])
            }
            try makeDirectory((config.socketPath as NSString).deletingLastPathComponent)
            let store = try SQLiteStore(
                path: config.databasePath, durability: config.durability, cacheBytes: config.cubeCacheMB << 20)
            let embedder = try makeEmbedder(config)
            let index = TieredIndex(
                dimension: embedder.dimension, threshold: config.hnswThreshold,
                parameters: .init(m: config.hnswM, efConstruction: config.hnswEfConstruction, efSearch: config.hnswEfSearch)
            ) { message, metadata in logger.info(message, metadata) }
            let (loaded, skipped) = try MemoryService.buildIndex(
                index, from: store, embedder: embedder, snapshotDirectory: config.snapshotDirectory
            ) { namespace, count, how in
                if how != "exact" { logger.info("namespace index", [("namespace", namespace), ("vectors", "\(count)"), ("index", how)]) }
            }
            logger.info("index built", [("vectors", "\(loaded)"), ("other_embedders", "\(skipped)"), ("blas_core", BLAS.coreName)])
            let keywords = KeywordIndex()
            let clock = ContinuousClock.now
            let texts = try MemoryService.buildKeywordIndex(keywords, from: store)
            logger.info("keyword index built", [("memories", "\(texts)"), ("took", "\(ContinuousClock.now - clock)")])

            // Payload files no row names: a crash between a blob write and its commit, or purges.
            let orphans = try store.collectBlobs(graceSeconds: 0)
            // Payload files rows name but the disk lacks (a copy without its blobs): those memories are damaged, memosd starts.
            let damaged = try store.checkPayloadFiles()
            if !damaged.isEmpty {
                logger.warning(
                    "memories whose payload file is missing are marked damaged; memctl doctor lists them, memctl restore brings a backup back",
                    [("count", "\(damaged.count)"), ("first", damaged[0].id.rawValue)])
            }
            if !orphans.isEmpty { logger.info("removed unreferenced payload files", [("count", "\(orphans.count)")]) }

            let wake = DispatchSemaphore(value: 0)
            let accessLog = AccessLog { wake.signal() }  // many accesses waiting: tick now
            var limits = Limits()
            limits.maxBatchItems = config.maxBatchItems
            limits.maxPayloadBytes = Int64(config.maxPayloadMB) << 20
            let box = ServerBox()
            let service = try MemoryService(
                store: store, index: index, keywords: keywords, embedder: embedder, accessLog: accessLog, limits: limits,
                fusion: config.fusion, planner: config.planner,
                runners: RunnerHub(timeoutSeconds: config.jobTimeoutSeconds, maxAttempts: config.jobAttempts),
                consolidationSettings: config.consolidation, logger: logger, serverStats: { box.stats() })
            let working = try service.scheduler.loadWorkingSet()
            if working > 0 { logger.info("working tier loaded", [("memories", "\(working)"), ("bytes", "\(store.residentUsage.bytes)")]) }
            let pending = try store.countNeedingEmbedding(embedder: embedder.id, dimension: embedder.dimension)
            if pending > 0 {
                logger.warning(
                    "memories without a vector from the configured embedder; re-embedding them in the background "
                        + "(memctl reindex shows progress, recall keeps working meanwhile)",
                    [("count", "\(pending)"), ("embedder", embedder.id), ("vectors_of_other_embedders", "\(skipped)")])
                service.reindexer.start()
            }
            let dispatcher = service.dispatcher(logger: logger)
            let server = SocketServer(
                path: config.socketPath,
                limits: SocketServer.ClientLimits(
                    maxFrameBytes: config.maxFrameBytes, maxConnections: config.maxConnections,
                    idleTimeout: config.idleTimeoutSeconds, sendTimeout: config.sendTimeoutSeconds, admission: config.admission),
                logger: logger
            ) { frame, connection in dispatcher.handle(frame: frame, connection: connection) }
            box.set(server: server, dispatcher: dispatcher)
            try server.start()
            warnIfOthersCannotReach(config, logger: logger)
            logger.info("memosd ready", [
                ("socket", config.socketPath), ("database", config.databasePath), ("embedder", embedder.id),
                ("synchronous", config.durability.rawValue), ("pid", "\(getpid())"),
            ])

            let ticker = Ticker(every: config.tickSeconds, wakeup: wake) {
                do { try accessLog.flush(to: store, heat: Heat()) } catch {
                    logger.warning("access flush failed; will retry", [("error", "\(error)")])
                }
                do {
                    let moves = try service.runScheduler(now: service.clock.now())
                    if !moves.isEmpty {
                        let counts = Dictionary(grouping: moves) { "\($0.from.rawValue)->\($0.to.rawValue)" }.mapValues(\.count)
                        logger.info("tier moves", counts.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })
                    }
                } catch {
                    logger.warning("scheduler tick failed; will retry", [("error", "\(error)")])
                }
                do { try store.collectPurgedBlobs(graceSeconds: 60) } catch {
                    logger.warning("payload collection failed; will retry", [("error", "\(error)")])
                }
            }
            ticker.start()
            service.resumeConsolidationRuns(logger: logger)
            let nightly = config.consolidateAt.map { at in
                Ticker(dailyAt: at.hour, at.minute) {
                    do {
                        let result = try service.consolidate(ConsolidateRun.Params(wait: true), RequestContext(peer: nil, now: service.clock.now()))
                        let steps = (result.report?.steps ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, "\($0.value.changed)") }
                        logger.info("nightly consolidation done", [("run", result.runID)] + steps)
                    } catch {
                        logger.warning("nightly consolidation failed; next try tomorrow", [("error", "\(error)")])
                    }
                }
            }
            nightly?.start()

            var received: Int32 = 0
            sigwait(&signals, &received)
            logger.info("shutting down", [("signal", received == SIGTERM ? "SIGTERM" : "SIGINT")])
            server.stop()
            service.stopConsolidation()
            ticker.stop()
            nightly?.stop()
            try? accessLog.flush(to: store, heat: Heat())  // best effort: access counts are advisory
            index.waitForPromotions()
            for failure in index.saveSnapshots(to: config.snapshotDirectory) {
                logger.warning("could not save an index snapshot; it will be rebuilt at start", [("error", failure)])
            }
            do { try store.flush() } catch {
                // Every commit is in the WAL already (a full disk, say): the next start replays it.
                logger.warning("could not checkpoint the database at shutdown; the next start replays its log", [("error", "\(error)")])
            }
            logger.info("memosd stopped")
            return 0
        } catch let error as DaemonError {
            logger.error("cannot start", [("reason", error.description)])
            return 1
        } catch let error as MiniLMEmbedder.LoadError {
            logger.error("cannot start", [("reason", error.description)])
            return 1
        } catch let error as EmbedderError {
            logger.error("cannot start: the http embedder does not answer", [("reason", error.description)])
            return 1
        } catch {
            logger.error("memosd failed", [("error", "\(error)")])
            return 1
        }
    }

    /// The configured embedder, loaded (MiniLM) or probed (http).
    static func makeEmbedder(_ config: DaemonConfig) throws -> any Embedder {
        switch config.embedder {
        case .hashing:
            return HashingEmbedder()
        case .minilm:
            var embedder = try MiniLMEmbedder(directory: config.modelDir)
            embedder.threads = config.embedThreads
            return embedder
        case .http:
            return try HTTPEmbedder.connect(
                baseURL: config.embedURL ?? "", model: config.embedModel, apiKey: config.embedKey, timeout: config.embedTimeout)
        }
    }

    /// Users let in by --allow-uid/--allow-gid still need to reach the socket:
    /// its directory must be searchable by others (0711, say).
    static func warnIfOthersCannotReach(_ config: DaemonConfig, logger: Logger) {
        guard !config.admission.isEmpty else { return }
        let directory = (config.socketPath as NSString).deletingLastPathComponent
        var info = stat()
        if stat(directory.isEmpty ? "." : directory, &info) == 0, info.st_mode & 0o001 == 0 {
            logger.warning(
                "other users are let in but cannot reach the socket's directory; give it mode 0711 or choose another --socket",
                [("directory", directory)])
        }
    }

    static func makeDirectory(_ path: String) throws {
        guard !path.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DaemonError.cannotCreate(path, error.localizedDescription)
        }
    }
}

/// Lets the service report server counters once the server exists.
final class ServerBox: Sendable {
    private let parts = Mutex<(SocketServer?, Dispatcher?)>((nil, nil))

    func set(server: SocketServer, dispatcher: Dispatcher) {
        parts.withLock { $0 = (server, dispatcher) }
    }

    func stats() -> (connections: Int, requests: Int, errors: Int) {
        let (server, dispatcher) = parts.withLock { $0 }
        return (
            server?.connectionCount ?? 0,
            dispatcher?.counters.requests.load(ordering: .relaxed) ?? 0,
            dispatcher?.counters.errors.load(ordering: .relaxed) ?? 0
        )
    }
}

import Synchronization

/// Runs `body` on its own thread whenever `next` says it is due (an
/// interval, or a time of day), or at once when `wakeup` is signalled
/// (pressure), until stopped.
final class Ticker: Sendable {
    private let name: String
    private let next: @Sendable (Date) -> Date
    private let body: @Sendable () -> Void
    private let wakeup: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(
        name: String, wakeup: DispatchSemaphore = DispatchSemaphore(value: 0), next: @escaping @Sendable (Date) -> Date,
        _ body: @escaping @Sendable () -> Void
    ) {
        self.name = name
        self.next = next
        self.wakeup = wakeup
        self.body = body
    }

    /// Every `interval` seconds.
    convenience init(every interval: Double, wakeup: DispatchSemaphore = DispatchSemaphore(value: 0), _ body: @escaping @Sendable () -> Void) {
        self.init(name: "memosd-tick", wakeup: wakeup, next: { $0.addingTimeInterval(interval) }, body)
    }

    /// Every day at hour:minute, local time.
    convenience init(dailyAt hour: Int, _ minute: Int, _ body: @escaping @Sendable () -> Void) {
        self.init(name: "memosd-nightly", next: { Self.next(after: $0, hour: hour, minute: minute) }, body)
    }

    /// The first hour:minute (local time) strictly after `date`.
    static func next(after date: Date, hour: Int, minute: Int, calendar: Calendar = .current) -> Date {
        calendar.nextDate(after: date, matching: DateComponents(hour: hour, minute: minute, second: 0), matchingPolicy: .nextTime)
            ?? date.addingTimeInterval(86_400)
    }

    func start() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                let due = next(Date())
                // Wake at least hourly: clock changes (DST, NTP) move a time of day.
                let wait = min(max(0.001, due.timeIntervalSinceNow), 3_600)
                let signalled = wakeup.wait(timeout: .now() + wait) == .success
                if stopped.load(ordering: .acquiring) { break }
                if signalled || Date() >= due { body() }
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        wakeup.signal()
        finished.wait()
    }
}
