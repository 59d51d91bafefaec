import MemStore
#if canImport(Glibc)
import Glibc
#endif

/// memosd's settings: every flag, its default and its meaning.
public struct DaemonConfig: Sendable {
    public var dataDir: String
    public var socketPath: String
    public var embedder = "hashing"
    public var durability = SQLiteStore.Durability.full
    public var maxFrameBytes = 4 * 1024 * 1024
    public var maxConnections = 128
    public var maxBatchItems = 1000
    public var tickSeconds = 5.0
    public var logLevel = Logger.Level.info

    public var databasePath: String { dataDir + "/memos.db" }

    public static let usage = """
        usage: memosd [options]

        Serves memos's JSON-RPC protocol on a Unix socket. Options:
          --data-dir PATH        database and blobs (default: $XDG_DATA_HOME/memos,
                                 or ~/.local/share/memos)
          --socket PATH          the socket (default: $XDG_RUNTIME_DIR/memos/memosd.sock,
                                 or <data-dir>/memosd.sock without XDG_RUNTIME_DIR)
          --embedder NAME        hashing (default; needs no model)
          --synchronous MODE     full (default: a commit survives power loss) or
                                 normal (faster; survives kill -9, not power loss)
          --max-frame-bytes N    largest request line accepted (default 4194304)
          --max-connections N    concurrent clients (default 128)
          --max-batch N          memories per memory.add / memory.forget (default 1000)
          --tick-seconds N       how often the scheduler tick runs (default 5)
          --log-level LEVEL      debug, info (default), warning or error
          --version              print the version and exit
          --help                 print this help and exit
        """

    /// Defaults from the environment (XDG base directories).
    public init(environment: [String: String]) {
        let home = environment["HOME"] ?? "/tmp"
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        dataDir = dataHome + "/memos"
        socketPath = Self.defaultSocket(environment: environment, dataDir: dataDir)
    }

    static func defaultSocket(environment: [String: String], dataDir: String) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/memos/memosd.sock"
        }
        return dataDir + "/memosd.sock"
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
                guard name == "hashing" else {
                    throw DaemonError.usage("--embedder must be hashing (got '\(name)')")
                }
                config.embedder = name
            case "--synchronous":
                let mode = try value(argument)
                guard let durability = SQLiteStore.Durability(rawValue: mode) else {
                    throw DaemonError.usage("--synchronous must be full or normal (got '\(mode)')")
                }
                config.durability = durability
            case "--max-frame-bytes": config.maxFrameBytes = try positive(argument)
            case "--max-connections": config.maxConnections = try positive(argument)
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
        if !socketGiven, environment["XDG_RUNTIME_DIR"].map(\.isEmpty) ?? true {
            config.socketPath = config.dataDir + "/memosd.sock"
        }
        return .run(config)
    }
}
