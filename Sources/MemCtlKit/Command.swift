#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemAPI

/// One memctl command: its name, help, options, and what it does. Its
/// `options` table is the one declaration its help, its parsing and its
/// unknown-option check come from.
public struct Command: Sendable {
    public let name: String
    public let summary: String
    /// Free text shown between the summary and the options.
    public let about: String
    public let usage: String
    public let options: [Option]
    let run: @Sendable (Arguments, Session) throws -> Void

    init(
        name: String, summary: String, about: String, usage: String, options: [Option],
        run: @escaping @Sendable (Arguments, Session) throws -> Void
    ) {
        self.name = name
        self.summary = summary
        self.about = about
        self.usage = usage
        self.options = options
        self.run = run
    }

    /// Options every command takes, before or after its name.
    public static let global: [Option] = [
        Option("--socket", "PATH", "memosd's socket (env MEMOS_SOCKET; default $XDG_RUNTIME_DIR/memos/memosd.sock)"),
        Option("--namespace", "NS", "the namespace (env MEMOS_NAMESPACE; default \"default\")", short: "-n"),
        Option("--json", "print the raw JSON result (one line) for scripts"),
        Option("--trust-uid", "UID", "talk to a memosd run by this other user (env MEMOS_TRUST_UID); by default memctl refuses a socket served by anyone but you or root"),
        Option("--help", "print this help", short: "-h"),
    ]

    public var helpText: String {
        var lines = ["usage: memctl \(usage)", "", summary]
        if !about.isEmpty { lines += ["", about] }
        let shown = options
        if !shown.isEmpty { lines += ["", "Options:"] + Option.helpLines(shown) }
        lines += ["", "Global options:"] + Option.helpLines(Self.global)
        return lines.joined(separator: "\n")
    }
}

/// What a running command needs: the client, the namespace, the output mode.
final class Session {
    let client: MemosClient
    let namespace: String
    let json: Bool

    init(client: MemosClient, namespace: String, json: Bool) {
        self.client = client
        self.namespace = namespace
        self.json = json
    }

    /// Calls memosd; in `--json` mode prints the result as one JSON line.
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, passing files: [Int32] = []) throws -> M.Result {
        let result = try client.call(method, params, passing: files)
        if json { print(Output.json(result)) }
        return result
    }
}

/// Environment-derived defaults (the same rules memosd uses).
enum Defaults {
    static func socket(_ env: [String: String]) -> String {
        if let socket = env["MEMOS_SOCKET"], !socket.isEmpty { return socket }
        return DefaultPaths.socket(environment: env)
    }

    /// `--trust-uid` or MEMOS_TRUST_UID, checked.
    static func trustedUID(_ given: String?, _ env: [String: String]) throws(UsageError) -> Set<UInt32> {
        guard let text = given ?? env["MEMOS_TRUST_UID"].flatMap({ $0.isEmpty ? nil : $0 }) else { return [] }
        guard let uid = UInt32(text) else { throw UsageError("--trust-uid needs a numeric user id (got '\(text)')") }
        return [uid]
    }

    static func namespace(_ env: [String: String]) -> String {
        env["MEMOS_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }
}
