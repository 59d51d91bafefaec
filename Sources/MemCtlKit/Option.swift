import MemAPI

/// One command-line option, declared once: its spelling, whether it takes a
/// value, and its help line. Help text, parsing and the check for unknown
/// options all come from these tables (`Command.options`, `Command.global`).
public struct Option: Sendable, Hashable {
    /// The canonical spelling (`--tag`, `-k`): what `Arguments.value` looks up.
    public let name: String
    /// Other spellings accepted and not shown (`--k` for `-k`).
    public let aliases: [String]
    /// A short spelling shown before the name (`-n` in `-n, --namespace NS`).
    public let short: String?
    /// What the value is called in help (`TAG`); nil for a flag.
    public let value: String?
    public let help: String
    /// A title printed before this option, starting a group (add's payload options).
    public let heading: String?

    public init(
        _ name: String, _ value: String? = nil, _ help: String, short: String? = nil, aliases: [String] = [], heading: String? = nil
    ) {
        self.name = name
        self.value = value
        self.help = help
        self.short = short
        self.aliases = aliases
        self.heading = heading
    }

    /// A flag: `Option("--once", "exit after the first job")`.
    public init(_ name: String, _ help: String, short: String? = nil, heading: String? = nil) {
        self.init(name, nil, help, short: short, heading: heading)
    }

    public var takesValue: Bool { value != nil }

    /// Every spelling that means this option.
    public var spellings: [String] { [name] + aliases + (short.map { [$0] } ?? []) }

    /// Each spelling of `options` and the option it means.
    static func bySpelling(_ options: [Option]) -> [String: Option] {
        Dictionary(options.flatMap { option in option.spellings.map { ($0, option) } }, uniquingKeysWith: { first, _ in first })
    }

    /// `-n, --namespace NS`.
    public var label: String {
        (short.map { $0 + ", " } ?? "") + name + (value.map { " " + $0 } ?? "")
    }

    /// The help lines of `options` (labels in a column of 21, wrapped at 80).
    public static func helpLines(_ options: [Option]) -> [String] {
        HelpText.lines(options.map { HelpText.Entry(label: $0.label, help: $0.help, heading: $0.heading) })
    }
}
