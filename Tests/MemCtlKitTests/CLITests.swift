import Testing
import MemJSON
@testable import MemCtlKit

@Suite struct CLITests {
    func run(_ line: [String]) throws -> (Command, Arguments) {
        guard case .run(let command, let args) = try CLI.parse(line) else { throw UsageError("help, not a run") }
        return (command, args)
    }

    @Test func globalOptionsGoBeforeOrAfterTheCommand() throws {
        for line in [
            ["-n", "work", "--json", "recall", "coffee", "-k", "3"],
            ["recall", "coffee", "-n", "work", "-k", "3", "--json"],
            ["--namespace=work", "recall", "--json", "coffee", "--k", "3"],
        ] {
            let (command, args) = try run(line)
            #expect(command.name == "recall")
            #expect(args.value("--namespace") == "work" && args.has("--json") && args.value("-k") == "3")
            #expect(args.positionals == ["coffee"])
        }
    }

    @Test func unknownOptionsAndMissingValuesAreUsageErrors() {
        #expect(throws: UsageError.self) { try CLI.parse(["recall", "x", "--tgas", "a"]) }
        #expect(throws: UsageError.self) { try CLI.parse(["--bogus", "recall", "x"]) }
        #expect(throws: UsageError.self) { try CLI.parse(["recall", "x", "--tag"]) }
        #expect(throws: UsageError.self) { try CLI.parse(["forget", "ID", "--purge=yes"]) }
        #expect(throws: UsageError.self) { try CLI.parse(["nosuchcommand"]) }
        #expect(throws: UsageError.self) { try CLI.parse(["-n"]) }
    }

    @Test func repeatedOptionsKeepEveryValueAndDashIsAPositional() throws {
        let (_, args) = try run(["add", "-", "--lines", "--tag", "a", "--tag=b", "--", "--not-an-option"])
        #expect(args.all("--tag") == ["a", "b"] && args.has("--lines"))
        #expect(args.positionals == ["-", "--not-an-option"])
    }

    @Test func helpComesFromTheOptionTable() throws {
        guard case .help(let text) = try CLI.parse(["help", "forget"]) else { Issue.record("no help"); return }
        #expect(text == """
            usage: memctl forget ID... [--purge] | forget FILTER-FLAGS [--dry-run] [--purge]

            Forget memories: tombstoned and out of recall, still in history.

            Forgets the memories named, or with filter flags instead of IDs every
            memory that passes the filter (--dry-run counts them first).

            Options:
              --purge              erase text, vectors and history for good (the audit log
                                   keeps only the id and the fact of the purge)
              --dry-run            with filter flags: count and show what would be
                                   forgotten, change nothing
              --state STATE        active (default), superseded, forgotten or any
              --tag TAG            only memories with this tag (repeat: all of them)
              --agent NAME         only this agent's memories
              --session NAME       only this session's memories
              --speaker NAME       only what this speaker said (conversation turns)
              --since TIME         only events at or after TIME (ISO 8601)
              --until TIME         only events at or before TIME
              --where COND         FIELD OP VALUE with = != > >= < <= ~ (contains), e.g.
                                   'importance>=0.7' (repeat: all of them)
              --attr KEY=VALUE     only memories whose attribute KEY equals VALUE (repeat:
                                   all of them)
              --filter JSON        any filter in the filter language (docs/filters.md),
                                   ANDed with the flags above

            Global options:
              --socket PATH        memosd's socket (env MEMOS_SOCKET; default
                                   $XDG_RUNTIME_DIR/memos/memosd.sock)
              -n, --namespace NS   the namespace (env MEMOS_NAMESPACE; default "default")
              --json               print the raw JSON result (one line) for scripts
              --trust-uid UID      talk to a memosd run by this other user (env
                                   MEMOS_TRUST_UID); by default memctl refuses a socket
                                   served by anyone but you or root
              -h, --help           print this help
            """)
        guard case .help(let same) = try CLI.parse(["forget", "--help"]) else { Issue.record("no help"); return }
        #expect(same == text)
    }

    /// Every option a command accepts is in its help, no two commands'
    /// options collide with the global ones, and no line passes 80 columns.
    @Test func everyCommandsHelpListsEveryOptionItTakes() {
        let global = Set(Command.global.flatMap(\.spellings))
        for command in Commands.all {
            let help = command.helpText
            for option in command.options {
                #expect(help.contains(option.label), "\(command.name): \(option.name) missing from help")
                #expect(global.isDisjoint(with: option.spellings), "\(command.name): \(option.name) shadows a global option")
            }
            #expect(Set(command.options.map(\.name)).count == command.options.count, "\(command.name) declares an option twice")
            for line in help.split(separator: "\n") where !line.hasPrefix("usage:") {
                #expect(line.count <= 80, "\(command.name): '\(line)'")
            }
        }
    }

    /// --where, --attr and --filter build one filter: each flag a condition, all ANDed.
    @Test func filterFlagsBuildOneFilter() throws {
        func filter(_ flags: [String]) throws -> JSONValue? { try Commands.filter(try run(["list"] + flags).1)?.json }
        #expect(try filter([]) == nil)
        #expect(try filter(["--where", "importance>=0.7"]) == ["and": [["importance": ["gte": 0.7]]]])
        #expect(try filter(["--where", "version != 2", "--where", "attributes.n<3"]) == ["and": [["version": ["ne": 2]], ["attributes.n": ["lt": 3]]]])
        #expect(try filter(["--where", "agent=123"]) == ["and": [["agent": ["eq": "123"]]]])
        #expect(try filter(["--where", "occurred_at>2024-05-01"]) == ["and": [["occurred_at": ["gt": "2024-05-01"]]]])
        #expect(try filter(["--where", "agent=[\"a\",\"b\"]"]) == ["and": [["agent": ["in": ["a", "b"]]]]])
        #expect(try filter(["--where", "tags!=[\"x\"]"]) == ["and": [["tags": ["nin": ["x"]]]]])
        #expect(try filter(["--where", "speaker~Car"]) == ["and": [["speaker": ["contains": "Car"]]]])
        #expect(try filter(["--where", "attributes.url=http://x?a=b"]) == ["and": [["attributes.url": ["eq": "http://x?a=b"]]]])
        #expect(try filter(["--attr", "project=apollo", "--attr", "n=3"]) == ["and": [["attributes": ["n": 3]], ["attributes": ["project": "apollo"]]]])
        #expect(try filter(["--tag", "work", "--filter", "{\"state\": \"any\"}"]) == ["tags": ["work"], "state": "any"])
        #expect(try filter(["--tag", "work", "--filter", "{\"tags\": [\"home\"]}"]) == ["tags": ["work"], "and": [["tags": ["home"]]]])
        for bad in [["--where", "importance"], ["--where", ">=3"], ["--attr", "=x"], ["--filter", "{nope"]] {
            #expect(throws: UsageError.self, "\(bad)") { _ = try filter(bad) }
        }
    }

    @Test func commandNamesAreUniqueAndInTheGeneralHelp() {
        #expect(Set(Commands.all.map(\.name)).count == Commands.all.count)
        for command in Commands.all { #expect(CLI.generalHelp.contains("  " + command.name)) }
    }
}
