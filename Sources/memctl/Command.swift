#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemAPI

/// One memctl command: its name, help text, options, and what it does.
struct Command: Sendable {
    let name: String
    let summary: String
    /// The help text after the usage line.
    let help: String
    let usage: String
    let valued: Set<String>
    let flags: Set<String>
    let run: @Sendable (Arguments, Session) throws -> Void

    static let globalValued: Set<String> = ["--socket", "--namespace"]
    static let globalFlags: Set<String> = ["--json", "--help"]
    static let aliases = ["-n": "--namespace", "-k": "--k", "-h": "--help"]

    var helpText: String {
        """
        usage: memctl \(usage)

        \(summary)
        \(help.isEmpty ? "" : "\n" + help + "\n")
        Global options:
          --socket PATH        memosd's socket (env MEMOS_SOCKET; default
                               $XDG_RUNTIME_DIR/memos/memosd.sock)
          -n, --namespace NS   the namespace (env MEMOS_NAMESPACE; default "default")
          --json               print the raw JSON result (one line) for scripts
          -h, --help           print this help
        """
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
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params) throws -> M.Result {
        let result = try client.call(method, params)
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

    static func namespace(_ env: [String: String]) -> String {
        env["MEMOS_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
    }
}
