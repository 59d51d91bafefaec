#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MemAPI

/// memctl's exit codes (sysexits.h): 0 ok, 1 the daemon refused, 64 usage, 69 unreachable.
public enum Exit {
    public static let ok: Int32 = 0, failure: Int32 = 1, usage: Int32 = 64, unavailable: Int32 = 69
}

/// Writes `text` to standard error as it is (no newline): progress lines.
func writeErr(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

func printErr(_ text: String) {
    writeErr(text + "\n")
}

/// The command line: `memctl [global options] COMMAND [options and arguments]`.
public enum CLI {
    public static var generalHelp: String {
        """
        usage: memctl [global options] COMMAND [options]

        memctl talks to memosd, the memos memory daemon, over its Unix socket.

        Commands:
        \(Commands.all.map { "  " + $0.name.padding(12) + $0.summary }.joined(separator: "\n"))
          help        Show help for a command: memctl help COMMAND

        Global options (before or after the command): \(globalSummary)
        Environment: MEMOS_SOCKET, MEMOS_NAMESPACE
        Exit codes: 0 ok, 1 memosd refused the request, 64 usage error, 69 memosd unreachable
        """
    }

    /// `--socket PATH, -n/--namespace NS, ...`.
    static var globalSummary: String {
        Command.global.map { ($0.short.map { $0 + "/" } ?? "") + $0.name + ($0.value.map { " " + $0 } ?? "") }.joined(separator: ", ")
    }

    /// What a command line asks for, before anything runs.
    public enum Parsed {
        case help(String)
        case run(Command, Arguments)
    }

    /// Parses a command line (global options may stand before or after the command).
    public static func parse(_ commandLine: [String]) throws(UsageError) -> Parsed {
        var arguments = commandLine
        let globals = try Arguments.leadingGlobals(&arguments, options: Command.global)
        guard let name = arguments.first else {
            if globals.contains("--help") || globals.contains("-h") { return .help(generalHelp) }
            throw UsageError("name a command; run memctl help")
        }
        arguments.removeFirst()
        if name == "help" {
            guard let topic = arguments.first else { return .help(generalHelp) }
            guard let command = Commands.named(topic) else { throw UsageError("no command named '\(topic)'; run memctl help") }
            return .help(command.helpText)
        }
        guard let command = Commands.named(name) else { throw UsageError("no command named '\(name)'; run memctl help") }
        let args = try Arguments.parse(globals + arguments, options: command.options + Command.global)
        if args.has("--help") { return .help(command.helpText) }
        return .run(command, args)
    }

    /// Runs memctl; returns its exit code.
    public static func main(_ commandLine: [String], environment env: [String: String]) -> Int32 {
        if commandLine.isEmpty {
            print(generalHelp)
            return Exit.usage
        }
        let command: Command, args: Arguments
        do {
            switch try parse(commandLine) {
            case .help(let text):
                print(text)
                return Exit.ok
            case .run(let c, let a): (command, args) = (c, a)
            }
        } catch {
            if let named = commandLine.lazy.compactMap(Commands.named).first {
                printErr("memctl \(named.name): \(error.message)\nusage: memctl \(named.usage)   (memctl help \(named.name) for more)")
            } else {
                printErr("memctl: \(error.message)")
            }
            return Exit.usage
        }
        let name = command.name
        let socket = args.value("--socket") ?? Defaults.socket(env)
        let trusted: Set<UInt32>
        do { trusted = try Defaults.trustedUID(args.value("--trust-uid"), env) } catch {
            printErr("memctl: \(error.message)")
            return Exit.usage
        }
        let session = Session(
            client: MemosClient(socketPath: socket, trustedUIDs: trusted), namespace: args.value("--namespace") ?? Defaults.namespace(env),
            json: args.has("--json"))
        do {
            try command.run(args, session)
            return Exit.ok
        } catch let error as UsageError {
            printErr("memctl \(name): \(error.message)\nusage: memctl \(command.usage)   (memctl help \(name) for more)")
            return Exit.usage
        } catch ClientError.unreachable(let path, let reason) {
            printErr("""
                memctl: cannot reach memosd at \(path) (\(reason)).
                Start it with `memosd` (or `make run` in the memos checkout), or point --socket / MEMOS_SOCKET at its socket.
                """)
            return Exit.unavailable
        } catch let error as ClientError {
            if case .rpc(let rpc) = error {
                if session.json { print(Output.json(["error": rpc])) }
                printErr("memctl \(name): \(rpc.message)")
                return Exit.failure
            }
            printErr("memctl: \(error)")
            if case .untrustedServer = error { return Exit.unavailable }
            return Exit.failure
        } catch is DoctorFailed {
            return Exit.failure  // its lines said what to fix
        } catch {
            printErr("memctl \(name): \(error)")
            return Exit.failure
        }
    }
}
