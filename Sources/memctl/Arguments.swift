/// A parsed command line: positionals, options with values, and flags.
struct Arguments {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    /// Parses `arguments` given which options take a value and which are flags.
    /// `-k 5`, `--k=5`, `--tag a --tag b` and `--` (end of options) are understood.
    static func parse(
        _ arguments: [String], valued: Set<String>, flags allowedFlags: Set<String>, aliases: [String: String]
    ) throws(UsageError) -> Arguments {
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
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            name = aliases[name] ?? name
            if valued.contains(name) {
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard i < arguments.count else { throw UsageError("\(name) needs a value") }
                    value = arguments[i]
                    i += 1
                }
                result.values[name, default: []].append(value)
            } else if allowedFlags.contains(name), inline == nil {
                result.flags.insert(name)
            } else {
                throw UsageError("unknown option '\(argument)'")
            }
        }
        return result
    }
}

/// A mistake in how memctl was called (exit code 64).
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
