import Consolidation
import MemAPI
import MemScheduler
import MemStore
import Retrieval
#if canImport(Glibc)
import Glibc
#endif

/// memosd's settings: every flag, its default and its meaning.
public struct DaemonConfig: Sendable {
    public var dataDir: String
    public var socketPath: String
    public var embedder = EmbedderChoice.minilm
    public var modelDir: String
    public var embedURL: String?
    public var embedModel = "text-embedding-3-small"
    public var embedKey: String?
    /// Abstractive summaries: an OpenAI-compatible chat endpoint (optional).
    public var chatURL: String?
    public var chatModel = "gpt-4o-mini"
    public var chatKey: String?
    public var embedTimeout = 30.0
    public var blasThreads = 1
    public var embedThreads = 1
    public var fusion = RankFusion()
    public var hnswThreshold = 20_000
    public var hnswM = 16
    public var hnswEfConstruction = 100
    public var hnswEfSearch = 100

    public var snapshotDirectory: String { dataDir + "/index" }
    public var durability = SQLiteStore.Durability.full
    public var maxFrameBytes = 4 * 1024 * 1024
    public var maxConnections = 128
    /// Other local users let in (`--allow-uid`, `--allow-gid`).
    public var admission = Admission()
    /// Seconds a client may stay idle between requests (0: forever); runners are spared.
    public var idleTimeoutSeconds = 300.0
    /// Seconds a reply may wait for a client that does not read it (0: forever).
    public var sendTimeoutSeconds = 30.0
    /// The largest payload (activation or parameter file) memory.add takes, in MiB.
    public var maxPayloadMB = 1024
    /// RAM for active cubes recently loaded by recall (0: no cache).
    public var cubeCacheMB = 64
    /// The scheduler's policy (docs/scheduler.md).
    public var planner = TierPlanner()
    /// Seconds a runner has for a job before it is dispatched again, and how many dispatches a job gets.
    public var jobTimeoutSeconds = 300.0
    public var jobAttempts = 3
    /// Local time of the nightly consolidation run (hour, minute); nil: off.
    public var consolidateAt: (hour: Int, minute: Int)? = (3, 0)
    /// The consolidation job's thresholds (docs/consolidation.md).
    public var consolidation = ConsolidationSettings()
    public var maxBatchItems = 1000
    public var tickSeconds = 5.0
    public var logLevel = Logger.Level.info

    public var databasePath: String { dataDir + "/memos.db" }

    /// Which embedder turns texts into vectors.
    public enum EmbedderChoice: String, Sendable, CaseIterable {
        /// all-MiniLM-L6-v2, run natively on OpenBLAS (needs `make model`).
        case minilm
        /// Feature hashing of words and word pieces: no model, lexical only.
        case hashing
        /// An OpenAI-compatible /v1/embeddings endpoint.
        case http
    }

    /// `memosd --help`, made from the flag table (`DaemonFlags.all`).
    public static var usage: String {
        (["usage: memosd [options]", "", "Serves memos's JSON-RPC protocol on a Unix socket. Options:"]
            + HelpText.lines(DaemonFlags.all.map { HelpText.Entry(label: $0.label, help: $0.help) }, column: 27)).joined(separator: "\n")
    }

    /// Defaults from the environment (XDG base directories).
    public init(environment: [String: String]) {
        dataDir = DefaultPaths.dataDirectory(environment: environment)
        socketPath = DefaultPaths.socket(environment: environment, dataDirectory: dataDir)
        modelDir = DefaultPaths.modelDirectory(environment: environment)
        embedURL = environment["MEMOS_EMBED_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let model = environment["MEMOS_EMBED_MODEL"], !model.isEmpty { embedModel = model }
        embedKey = environment["MEMOS_EMBED_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        chatURL = environment["MEMOS_CHAT_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let model = environment["MEMOS_CHAT_MODEL"], !model.isEmpty { chatModel = model }
        chatKey = environment["MEMOS_CHAT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public enum Parsed { case run(DaemonConfig), help, version }

    /// Parses flags over the environment's defaults; throws `DaemonError.usage`.
    public static func parse(_ arguments: [String], environment: [String: String]) throws -> Parsed {
        var config = DaemonConfig(environment: environment)
        var socketGiven = false
        let flags = Dictionary(DaemonFlags.all.flatMap { flag in flag.spellings.map { ($0, flag) } }, uniquingKeysWith: { a, _ in a })
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard let flag = flags[argument] else { throw DaemonError.usage("unknown option '\(argument)'; see memosd --help") }
            switch flag.action {
            case .help: return .help
            case .version: return .version
            case .set(let apply):
                guard i < arguments.count else { throw DaemonError.usage("\(flag.name) needs a value") }
                try apply(&config, arguments[i], flag.name)
                i += 1
                if flag.name == "--socket" { socketGiven = true }
            }
        }
        if !socketGiven {
            config.socketPath = DefaultPaths.socket(environment: environment, dataDirectory: config.dataDir)
        }
        if config.embedder == .http, config.embedURL == nil {
            throw DaemonError.usage("--embedder http needs --embed-url (or MEMOS_EMBED_URL)")
        }
        if let url = config.chatURL {
            do { config.consolidation.chat = try ChatSummarizer(baseURL: url, model: config.chatModel, apiKey: config.chatKey) } catch {
                throw DaemonError.usage("--chat-url must be an http(s) URL, e.g. http://localhost:8080/v1 (got '\(url)')")
            }
        }
        return .run(config)
    }
}
