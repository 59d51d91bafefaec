import MemAPI
import MemScheduler
import MemStore
import Retrieval

/// One memosd flag, declared once: its help line, and how its value sets the
/// config (checked: a bad value is a usage error naming the flag). `--help`,
/// the parser and the README's flag table (tested) all follow this table.
public struct DaemonFlag: Sendable {
    public enum Action: Sendable {
        case set(@Sendable (inout DaemonConfig, String, String) throws -> Void)
        case help, version
    }

    public let name: String
    /// What the value is called in help (`PATH`); nil for `--help` and `--version`.
    public let value: String?
    public let help: String
    let short: String?
    let action: Action

    init(_ name: String, _ value: String?, _ help: String, short: String? = nil, _ action: Action) {
        self.name = name
        self.value = value
        self.help = help
        self.short = short
        self.action = action
    }

    /// A flag whose value `apply` parses (`text`) into the config; `flag` is its name, for errors.
    init(_ name: String, _ value: String, _ help: String, apply: @escaping @Sendable (inout DaemonConfig, _ text: String, _ flag: String) throws -> Void) {
        self.init(name, value, help, .set(apply))
    }

    var label: String { name + (value.map { " " + $0 } ?? "") }
    var spellings: [String] { [name] + (short.map { [$0] } ?? []) }
}

/// Value checks shared by the flags.
enum FlagValue {
    static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let n = Int(text), n > 0 else { throw DaemonError.usage("\(flag) must be a positive integer (got '\(text)')") }
        return n
    }

    static func positiveNumber(_ text: String, _ flag: String) throws -> Double {
        guard let number = Double(text), number > 0, number.isFinite else {
            throw DaemonError.usage("\(flag) needs a positive number (got '\(text)')")
        }
        return number
    }

    /// Seconds, 0 (off) or more, at most a day.
    static func duration(_ text: String, _ flag: String) throws -> Double {
        guard let number = Double(text), number >= 0, number <= 86_400 else {
            throw DaemonError.usage("\(flag) needs seconds from 0 (off) to 86400 (got '\(text)')")
        }
        return number
    }

    /// User or group ids, comma-separated.
    static func ids(_ text: String, _ flag: String) throws -> Set<UInt32> {
        var ids = Set<UInt32>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = UInt32(String(part.filter { $0 != " " })), id != UInt32.max else {
                throw DaemonError.usage("\(flag) needs numeric ids separated by commas, e.g. 1001,1002 (got '\(text)')")
            }
            ids.insert(id)
        }
        return ids
    }

    static func fraction(_ text: String, _ flag: String) throws -> Float {
        guard let number = Float(text), number > 0, number <= 1 else {
            throw DaemonError.usage("\(flag) needs a cosine between 0 and 1, e.g. 0.9 (got '\(text)')")
        }
        return number
    }

    static func choice<T: RawRepresentable>(_ text: String, _ flag: String, _ names: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else { throw DaemonError.usage("\(flag) must be \(names) (got '\(text)')") }
        return value
    }
}

/// Every memosd flag, in `--help` order.
public enum DaemonFlags {
    public static let all: [DaemonFlag] = storage + embedding + recall + server + scheduler + consolidation + process

    static let storage: [DaemonFlag] = [
        DaemonFlag("--data-dir", "PATH", "database and blobs (default: $XDG_DATA_HOME/memos, or ~/.local/share/memos)") { c, v, _ in
            c.dataDir = v
        },
        DaemonFlag("--socket", "PATH", "the socket (default: $XDG_RUNTIME_DIR/memos/memosd.sock, or <data-dir>/memosd.sock without XDG_RUNTIME_DIR)") { c, v, _ in
            c.socketPath = v
        },
        DaemonFlag("--synchronous", "MODE", "full (default: a commit survives power loss) or normal (faster; survives kill -9, not power loss)") { c, v, f in
            c.durability = try FlagValue.choice(v, f, "full or normal")
        },
        DaemonFlag("--cube-cache-mb", "N", "RAM for recently recalled memories (default 64; 0: off)") { c, v, f in
            guard let mb = Int(v), (0...1 << 20).contains(mb) else {
                throw DaemonError.usage("\(f) must be a whole number of MiB, 0 or more (got '\(v)')")
            }
            c.cubeCacheMB = mb
        },
    ]

    static let embedding: [DaemonFlag] = [
        DaemonFlag("--embedder", "NAME", "minilm (default: all-MiniLM-L6-v2 run natively; needs `make model`), hashing (no model, lexical only) or http (an OpenAI-compatible /v1/embeddings endpoint)") { c, v, f in
            c.embedder = try FlagValue.choice(v, f, "minilm, hashing or http")
        },
        DaemonFlag("--model-dir", "PATH", "MiniLM weights (default: $MEMOS_MODEL_DIR, else $XDG_CACHE_HOME/memos/models/all-MiniLM-L6-v2)") { c, v, _ in
            c.modelDir = v
        },
        DaemonFlag("--embed-url", "URL", "http embedder: base URL, e.g. http://localhost:8080/v1 (env MEMOS_EMBED_URL)") { c, v, _ in
            c.embedURL = v
        },
        DaemonFlag("--embed-model", "NAME", "http embedder: model name (env MEMOS_EMBED_MODEL; default text-embedding-3-small)") { c, v, _ in
            c.embedModel = v
        },
        DaemonFlag("--embed-timeout", "SECS", "http embedder: per-request timeout (default 30). The API key comes from MEMOS_EMBED_API_KEY (never a flag, so it stays out of `ps`).") { c, v, f in
            c.embedTimeout = Double(try FlagValue.positive(v, f))
        },
        DaemonFlag("--embed-threads", "N", "MiniLM: worker threads per embedding call (default 1; 2 nearly doubles batch throughput on 2 cores but competes with other clients)") { c, v, f in
            c.embedThreads = try FlagValue.positive(v, f)
        },
        DaemonFlag("--blas-threads", "N", "OpenBLAS threads per call (default 1)") { c, v, f in
            c.blasThreads = try FlagValue.positive(v, f)
        },
    ]

    static let recall: [DaemonFlag] = [
        DaemonFlag("--weights", "LIST", "default signal weights for recall, e.g. vector=0.5,keyword=1,graph=0.3 (the default)") { c, v, f in
            for pair in v.split(separator: ",") {
                let parts = pair.split(separator: "=")
                guard parts.count == 2, let signal = Signal(rawValue: String(parts[0])), let weight = Double(parts[1]),
                      weight >= 0, weight.isFinite
                else { throw DaemonError.usage("\(f) takes signal=weight pairs of vector, keyword, graph (got '\(pair)')") }
                c.fusion.weights[signal] = weight
            }
        },
        DaemonFlag("--fusion", "METHOD", "relative (default) or rrf") { c, v, f in
            c.fusion.method = try FlagValue.choice(v, f, "relative or rrf")
        },
        DaemonFlag("--hnsw-threshold", "N", "a namespace moves from the exact scan to HNSW at N vectors (default 20000)") { c, v, f in
            c.hnswThreshold = try FlagValue.positive(v, f)
        },
        DaemonFlag("--hnsw-m", "N", "HNSW links per node (default 16; 2N on the bottom layer)") { c, v, f in
            c.hnswM = try FlagValue.positive(v, f)
        },
        DaemonFlag("--hnsw-ef-construction", "N", "HNSW build beam (default 100)") { c, v, f in
            c.hnswEfConstruction = try FlagValue.positive(v, f)
        },
        DaemonFlag("--hnsw-ef-search", "N", "HNSW search beam up to 100k memories in a namespace, scaled up above (default 100; higher: better recall, slower)") { c, v, f in
            c.hnswEfSearch = try FlagValue.positive(v, f)
        },
    ]

    static let server: [DaemonFlag] = [
        DaemonFlag("--max-frame-bytes", "N", "largest request line accepted (default 4194304)") { c, v, f in
            c.maxFrameBytes = try FlagValue.positive(v, f)
        },
        DaemonFlag("--max-connections", "N", "concurrent clients (default 128)") { c, v, f in
            c.maxConnections = try FlagValue.positive(v, f)
        },
        DaemonFlag("--allow-uid", "UID[,UID]", "let these local users connect, confined to their own and shared namespaces (repeatable)") { c, v, f in
            c.admission.uids.formUnion(try FlagValue.ids(v, f))
        },
        DaemonFlag("--allow-gid", "GID[,GID]", "let the members of these groups connect, as --allow-uid does (repeatable)") { c, v, f in
            c.admission.gids.formUnion(try FlagValue.ids(v, f))
        },
        DaemonFlag("--idle-timeout", "SECS", "close a client idle this long between requests (default 300; 0: never; subscribed runners are spared)") { c, v, f in
            c.idleTimeoutSeconds = try FlagValue.duration(v, f)
        },
        DaemonFlag("--send-timeout", "SECS", "close a client that has not read a reply for this long (default 30; 0: never)") { c, v, f in
            c.sendTimeoutSeconds = try FlagValue.duration(v, f)
        },
        DaemonFlag("--max-payload-mb", "N", "largest activation or parameter payload memory.add takes (default 1024)") { c, v, f in
            c.maxPayloadMB = try FlagValue.positive(v, f)
        },
        DaemonFlag("--max-batch", "N", "memories per memory.add / memory.forget (default 1000)") { c, v, f in
            c.maxBatchItems = try FlagValue.positive(v, f)
        },
    ]

    static let scheduler: [DaemonFlag] = [
        DaemonFlag("--heat-half-life-days", "D", "how fast heat cools (default 7)") { c, v, f in
            c.planner.heat = Heat(halfLifeSeconds: try FlagValue.positiveNumber(v, f) * 86_400)
        },
        DaemonFlag("--working-max", "N", "memories in the working tier, all namespaces (default 10000)") { c, v, f in
            c.planner.working.count = try FlagValue.positive(v, f)
        },
        DaemonFlag("--working-max-mb", "N", "bytes of the working tier, all namespaces (default 256)") { c, v, f in
            c.planner.working.bytes = try FlagValue.positive(v, f) << 20
        },
        DaemonFlag("--working-namespace-max", "N", "memories per namespace in the working tier (default 2000)") { c, v, f in
            c.planner.workingPerNamespace.count = try FlagValue.positive(v, f)
        },
        DaemonFlag("--working-namespace-max-mb", "N", "MiB per namespace in the working tier (default 64)") { c, v, f in
            c.planner.workingPerNamespace.bytes = try FlagValue.positive(v, f) << 20
        },
        DaemonFlag("--archive-after-days", "D", "idle days before a cold memory is archived (default 30)") { c, v, f in
            c.planner.archiveAfterSeconds = try FlagValue.positiveNumber(v, f) * 86_400
        },
        DaemonFlag("--job-timeout-seconds", "S", "a runner's time for a job before it goes to another (default 300)") { c, v, f in
            c.jobTimeoutSeconds = try FlagValue.positiveNumber(v, f)
        },
        DaemonFlag("--job-attempts", "N", "dispatches before a job fails (default 3)") { c, v, f in
            c.jobAttempts = try FlagValue.positive(v, f)
        },
        DaemonFlag("--tick-seconds", "N", "how often the scheduler tick runs (default 5)") { c, v, f in
            c.tickSeconds = Double(try FlagValue.positive(v, f))
        },
    ]

    static let consolidation: [DaemonFlag] = [
        DaemonFlag("--consolidate-at", "HH:MM", "local time of the nightly consolidation over all namespaces changed since their last run (default 03:00), or off") { c, v, f in
            if v == "off" {
                c.consolidateAt = nil
                return
            }
            let parts = v.split(separator: ":").map { Int($0) }
            guard parts.count == 2, let hour = parts[0], let minute = parts[1], (0..<24).contains(hour), (0..<60).contains(minute) else {
                throw DaemonError.usage("\(f) must be a local time HH:MM, e.g. 03:00, or off (got '\(v)')")
            }
            c.consolidateAt = (hour, minute)
        },
        DaemonFlag("--dedupe-threshold", "X", "cosine from which memories making the same claim merge (default 0.92)") { c, v, f in
            c.consolidation.duplicateThreshold = try FlagValue.fraction(v, f)
        },
        DaemonFlag("--conflict-threshold", "X", "cosine from which differing negation, numbers or dates link memories as conflicts_with (default 0.8)") { c, v, f in
            c.consolidation.conflictThreshold = try FlagValue.fraction(v, f)
        },
        DaemonFlag("--summary-min", "N", "memories a session or cluster needs for a summary (default 8)") { c, v, f in
            c.consolidation.summaryMinMembers = max(2, try FlagValue.positive(v, f))
        },
        DaemonFlag("--chat-url", "URL", "abstractive summaries through an OpenAI-compatible chat endpoint, e.g. http://localhost:8080/v1 (env MEMOS_CHAT_URL; default: none, summaries are extractive). The API key comes from MEMOS_CHAT_API_KEY") { c, v, _ in
            c.chatURL = v
        },
        DaemonFlag("--chat-model", "NAME", "its model (env MEMOS_CHAT_MODEL; default gpt-4o-mini)") { c, v, _ in
            c.chatModel = v
        },
        DaemonFlag("--chat-token-budget", "N", "tokens one consolidation run may spend (default 50000)") { c, v, f in
            c.consolidation.chatTokenBudget = try FlagValue.positive(v, f)
        },
    ]

    static let process: [DaemonFlag] = [
        DaemonFlag("--log-level", "LEVEL", "debug, info (default), warning or error") { c, v, f in
            guard let level = Logger.Level(name: v) else { throw DaemonError.usage("\(f) must be debug, info, warning or error (got '\(v)')") }
            c.logLevel = level
        },
        DaemonFlag("--version", nil, "print the version and exit", .version),
        DaemonFlag("--help", nil, "print this help and exit", short: "-h", .help),
    ]
}
