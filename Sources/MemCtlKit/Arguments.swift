/// A parsed command line: positionals, options with values, and flags,
/// each under its option's canonical name.
public struct Arguments: Sendable {
    public var positionals: [String] = []
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []

    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    public func has(_ name: String) -> Bool { flags.contains(name) }

    /// Parses `arguments` against `options` (anything else starting with `-`
    /// is an error). `-k 5`, `--k=5`, `--tag a --tag b` and `--` (end of
    /// options) are understood; `-` alone is a positional (standard input).
    public static func parse(_ arguments: [String], options: [Option]) throws(UsageError) -> Arguments {
        let bySpelling = Option.bySpelling(options)
        var result = Arguments()
        var i = 0
        var optionsEnded = false
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                result.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            var spelling = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                spelling = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            guard let option = bySpelling[spelling] else { throw UsageError("unknown option '\(argument)'") }
            if option.takesValue {
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard i < arguments.count else { throw UsageError("\(option.name) needs a value") }
                    value = arguments[i]
                    i += 1
                }
                result.values[option.name, default: []].append(value)
            } else if inline == nil {
                result.flags.insert(option.name)
            } else {
                throw UsageError("\(option.name) takes no value")
            }
        }
        return result
    }

    /// Takes the global options standing before the command name off the
    /// front of `arguments` (`memctl -n work recall ...`).
    static func leadingGlobals(_ arguments: inout [String], options: [Option]) throws(UsageError) -> [String] {
        var taken: [String] = []
        let byName = Option.bySpelling(options)
        while let first = arguments.first, first.hasPrefix("-"), first != "-", first != "--" {
            let spelling = String(first.prefix { $0 != "=" })
            guard let option = byName[spelling] else { throw UsageError("unknown option '\(first)' before the command") }
            taken.append(arguments.removeFirst())
            if option.takesValue, !first.contains("=") {
                guard !arguments.isEmpty else { throw UsageError("\(option.name) needs a value") }
                taken.append(arguments.removeFirst())
            }
        }
        return taken
    }
}

/// A mistake in how memctl was called (exit code 64).
public struct UsageError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
