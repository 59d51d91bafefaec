/// Option help as memctl and memosd print it: labels in a column,
/// descriptions wrapped at 80 columns.
public enum HelpText {
    public struct Entry: Sendable {
        public var label: String
        public var help: String
        /// A title printed before this entry, starting a group.
        public var heading: String?

        public init(label: String, help: String, heading: String? = nil) {
            self.label = label
            self.help = help
            self.heading = heading
        }
    }

    /// The entries' lines: "  LABEL" padded to `column`, then the help,
    /// wrapped at `width` with continuation lines indented to `column`.
    public static func lines(_ entries: [Entry], column: Int = 23, width: Int = 80) -> [String] {
        var lines: [String] = []
        for entry in entries {
            if let heading = entry.heading { lines.append(heading) }
            let label = "  " + entry.label
            let first = label.count < column ? label + String(repeating: " ", count: column - label.count) : label + " "
            lines += wrap(entry.help, first: first, indent: String(repeating: " ", count: column), width: width)
        }
        return lines
    }

    static func wrap(_ text: String, first: String, indent: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = first
        var empty = true
        for word in text.split(separator: " ") {
            if !empty, line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
                empty = true
            }
            line += (empty ? "" : " ") + word
            empty = false
        }
        lines.append(line)
        return lines
    }
}
