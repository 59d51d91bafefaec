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

    public static let usage = """
        usage: memosd [options]

        Serves memos's JSON-RPC protocol on a Unix socket. Options:
          --data-dir PATH        database and blobs (default: $XDG_DATA_HOME/memos,
                                 or ~/.local/share/memos)
          --socket PATH          the socket (default: $XDG_RUNTIME_DIR/memos/memosd.sock,
                                 or <data-dir>/memosd.sock without XDG_RUNTIME_DIR)
          --embedder NAME        minilm (default: all-MiniLM-L6-v2 run natively; needs
                                 `make model`), hashing (no model, lexical only) or
                                 http (an OpenAI-compatible /v1/embeddings endpoint)
          --model-dir PATH       MiniLM weights (default: $MEMOS_MODEL_DIR, else
                                 $XDG_CACHE_HOME/memos/models/all-MiniLM-L6-v2)
          --embed-url URL        http embedder: base URL, e.g. http://localhost:8080/v1
                                 (env MEMOS_EMBED_URL)
          --embed-model NAME     http embedder: model name (env MEMOS_EMBED_MODEL;
                                 default text-embedding-3-small)
          --embed-timeout SECS   http embedder: per-request timeout (default 30)
                                 The API key comes from MEMOS_EMBED_API_KEY (never a flag,
                                 so it stays out of `ps`).
          --embed-threads N      MiniLM: worker threads per embedding call (default 1;
                                 2 nearly doubles batch throughput on 2 cores but competes
                                 with other clients)
          --blas-threads N       OpenBLAS threads per call (default 1)
          --weights LIST         default signal weights for recall, e.g.
                                 vector=0.5,keyword=1,graph=0.3 (the default)
          --fusion METHOD        relative (default) or rrf
          --hnsw-threshold N     a namespace moves from the exact scan to HNSW at N
                                 vectors (default 20000)
          --hnsw-m N             HNSW links per node (default 16; 2N on the bottom layer)
          --hnsw-ef-construction N   HNSW build beam (default 100)
          --hnsw-ef-search N     HNSW search beam (default 100; higher: better recall, slower)
          --synchronous MODE     full (default: a commit survives power loss) or
                                 normal (faster; survives kill -9, not power loss)
          --max-frame-bytes N    largest request line accepted (default 4194304)
          --max-connections N    concurrent clients (default 128)
          --cube-cache-mb N      RAM for recently recalled memories (default 64; 0: off)
          --heat-half-life-days D    how fast heat cools (default 7)
          --working-max N        memories in the working tier, all namespaces (default 10000)
          --working-max-mb N     bytes of the working tier, all namespaces (default 256)
          --working-namespace-max N  memories per namespace in the working tier (default 2000)
          --working-namespace-max-mb N   MiB per namespace in the working tier (default 64)
          --archive-after-days D     idle days before a cold memory is archived (default 30)
          --job-timeout-seconds S    a runner's time for a job before it goes to another (default 300)
          --job-attempts N       dispatches before a job fails (default 3)
          --consolidate-at HH:MM     local time of the nightly consolidation over all
                                 namespaces changed since their last run (default 03:00), or off
          --dedupe-threshold X   cosine from which memories making the same claim
                                 merge (default 0.92)
          --conflict-threshold X cosine from which differing negation, numbers or
                                 dates link memories as conflicts_with (default 0.8)
          --summary-min N        memories a session or cluster needs for a summary (default 8)
          --chat-url URL         abstractive summaries through an OpenAI-compatible chat
                                 endpoint, e.g. http://localhost:8080/v1 (env MEMOS_CHAT_URL;
                                 default: none, summaries are extractive). The API key
                                 comes from MEMOS_CHAT_API_KEY
          --chat-model NAME      its model (env MEMOS_CHAT_MODEL; default gpt-4o-mini)
          --chat-token-budget N  tokens one consolidation run may spend (default 50000)
          --max-batch N          memories per memory.add / memory.forget (default 1000)
          --tick-seconds N       how often the scheduler tick runs (default 5)
          --log-level LEVEL      debug, info (default), warning or error
          --version              print the version and exit
          --help                 print this help and exit
        """

    /// Defaults from the environment (XDG base directories).
    public init(environment: [String: String]) {
        dataDir = DefaultPaths.dataDirectory(environment: environment)
        socketPath = DefaultPaths.socket(environment: environment, dataDirectory: dataDir)
        modelDir = MiniLMEmbedder.defaultDirectory(environment: environment)
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
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw DaemonError.usage("\(flag) needs a value") }
            return arguments[i]
        }
        func positiveNumber(_ flag: String) throws -> Double {
            let text = try value(flag)
            guard let number = Double(text), number > 0, number.isFinite else {
                throw DaemonError.usage("\(flag) needs a positive number (got '\(text)')")
            }
            return number
        }
        func fraction(_ flag: String) throws -> Float {
            let text = try value(flag)
            guard let number = Float(text), number > 0, number <= 1 else {
                throw DaemonError.usage("\(flag) needs a cosine between 0 and 1, e.g. 0.9 (got '\(text)')")
            }
            return number
        }
        func positive(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let n = Int(text), n > 0 else { throw DaemonError.usage("\(flag) must be a positive integer (got '\(text)')") }
            return n
        }
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--help", "-h": return .help
            case "--version": return .version
            case "--data-dir": config.dataDir = try value(argument)
            case "--socket":
                config.socketPath = try value(argument)
                socketGiven = true
            case "--embedder":
                let name = try value(argument)
                guard let choice = EmbedderChoice(rawValue: name) else {
                    throw DaemonError.usage("--embedder must be minilm, hashing or http (got '\(name)')")
                }
                config.embedder = choice
            case "--model-dir": config.modelDir = try value(argument)
            case "--embed-url": config.embedURL = try value(argument)
            case "--embed-model": config.embedModel = try value(argument)
            case "--embed-timeout": config.embedTimeout = Double(try positive(argument))
            case "--blas-threads": config.blasThreads = try positive(argument)
            case "--embed-threads": config.embedThreads = try positive(argument)
            case "--weights":
                let text = try value(argument)
                for pair in text.split(separator: ",") {
                    let parts = pair.split(separator: "=")
                    guard parts.count == 2, let signal = Signal(rawValue: String(parts[0])), let weight = Double(parts[1]),
                          weight >= 0, weight.isFinite
                    else {
                        throw DaemonError.usage("--weights takes signal=weight pairs of vector, keyword, graph (got '\(pair)')")
                    }
                    config.fusion.weights[signal] = weight
                }
            case "--fusion":
                let name = try value(argument)
                guard let method = RankFusion.Method(rawValue: name) else {
                    throw DaemonError.usage("--fusion must be relative or rrf (got '\(name)')")
                }
                config.fusion.method = method
            case "--hnsw-threshold": config.hnswThreshold = try positive(argument)
            case "--hnsw-m": config.hnswM = try positive(argument)
            case "--hnsw-ef-construction": config.hnswEfConstruction = try positive(argument)
            case "--hnsw-ef-search": config.hnswEfSearch = try positive(argument)
            case "--synchronous":
                let mode = try value(argument)
                guard let durability = SQLiteStore.Durability(rawValue: mode) else {
                    throw DaemonError.usage("--synchronous must be full or normal (got '\(mode)')")
                }
                config.durability = durability
            case "--max-frame-bytes": config.maxFrameBytes = try positive(argument)
            case "--max-connections": config.maxConnections = try positive(argument)
            case "--heat-half-life-days":
                config.planner.heat = Heat(halfLifeSeconds: try positiveNumber(argument) * 86_400)
            case "--working-max": config.planner.working.count = try positive(argument)
            case "--working-max-mb": config.planner.working.bytes = try positive(argument) << 20
            case "--working-namespace-max": config.planner.workingPerNamespace.count = try positive(argument)
            case "--working-namespace-max-mb": config.planner.workingPerNamespace.bytes = try positive(argument) << 20
            case "--archive-after-days": config.planner.archiveAfterSeconds = try positiveNumber(argument) * 86_400
            case "--consolidate-at":
                let text = try value(argument)
                if text == "off" {
                    config.consolidateAt = nil
                } else {
                    let parts = text.split(separator: ":").map { Int($0) }
                    guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0..<24).contains(hour), (0..<60).contains(minute) else {
                        throw DaemonError.usage("--consolidate-at must be a local time HH:MM, e.g. 03:00, or off (got '\(text)')")
                    }
                    config.consolidateAt = (hour, minute)
                }
            case "--dedupe-threshold": config.consolidation.duplicateThreshold = try fraction(argument)
            case "--conflict-threshold": config.consolidation.conflictThreshold = try fraction(argument)
            case "--summary-min": config.consolidation.summaryMinMembers = max(2, try positive(argument))
            case "--chat-url": config.chatURL = try value(argument)
            case "--chat-model": config.chatModel = try value(argument)
            case "--chat-token-budget": config.consolidation.chatTokenBudget = try positive(argument)
            case "--job-timeout-seconds": config.jobTimeoutSeconds = try positiveNumber(argument)
            case "--job-attempts": config.jobAttempts = try positive(argument)
            case "--cube-cache-mb":
                let text = try value(argument)
                guard let mb = Int(text), (0...1 << 20).contains(mb) else {
                    throw DaemonError.usage("--cube-cache-mb must be a whole number of MiB, 0 or more (got '\(text)')")
                }
                config.cubeCacheMB = mb
            case "--max-batch": config.maxBatchItems = try positive(argument)
            case "--tick-seconds": config.tickSeconds = Double(try positive(argument))
            case "--log-level":
                let name = try value(argument)
                guard let level = Logger.Level(name: name) else {
                    throw DaemonError.usage("--log-level must be debug, info, warning or error (got '\(name)')")
                }
                config.logLevel = level
            default:
                throw DaemonError.usage("unknown option '\(argument)'; see memosd --help")
            }
            i += 1
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
