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
enum Exit {
    static let ok: Int32 = 0, failure: Int32 = 1, usage: Int32 = 64, unavailable: Int32 = 69
}

/// Writes `text` to standard error as it is (no newline): progress lines.
func writeErr(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

func printErr(_ text: String) {
    var line = text
    line += "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

let generalHelp = """
    usage: memctl COMMAND [options]

    memctl talks to memosd, the memos memory daemon, over its Unix socket.

    Commands:
    \(Commands.all.map { "  " + $0.name.padding(12) + $0.summary }.joined(separator: "\n"))
      help        Show help for a command: memctl help COMMAND

    Global options: --socket PATH, -n/--namespace NS, --json, -h/--help
    Environment: MEMOS_SOCKET, MEMOS_NAMESPACE
    Exit codes: 0 ok, 1 memosd refused the request, 64 usage error, 69 memosd unreachable
    """

func main() -> Int32 {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let name = arguments.first else {
        print(generalHelp)
        return Exit.usage
    }
    arguments.removeFirst()
    if name == "help" || name == "--help" || name == "-h" {
        if let topic = arguments.first {
            guard let command = Commands.named(topic) else {
                printErr("memctl: no command named '\(topic)'; run memctl help")
                return Exit.usage
            }
            print(command.helpText)
        } else {
            print(generalHelp)
        }
        return Exit.ok
    }
    guard let command = Commands.named(name) else {
        printErr("memctl: no command named '\(name)'; run memctl help")
        return Exit.usage
    }
    let args: Arguments
    do {
        args = try Arguments.parse(
            arguments, valued: command.valued.union(Command.globalValued),
            flags: command.flags.union(Command.globalFlags), aliases: Command.aliases)
    } catch {
        printErr("memctl \(name): \(error.message)\nusage: memctl \(command.usage)   (memctl help \(name) for more)")
        return Exit.usage
    }
    if args.has("--help") {
        print(command.helpText)
        return Exit.ok
    }
    let env = ProcessInfo.processInfo.environment
    let socket = args.value("--socket") ?? Defaults.socket(env)
    let session = Session(
        client: MemosClient(socketPath: socket), namespace: args.value("--namespace") ?? Defaults.namespace(env),
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
    } catch ClientError.rpc(let error) {
        if session.json { print(Output.json(["error": error])) }
        printErr("memctl \(name): \(error.message)")
        return Exit.failure
    } catch {
        printErr("memctl \(name): \(error)")
        return Exit.failure
    }
}

exit(main())
