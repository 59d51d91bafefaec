/// Splits a long text into parts of at most `maxChars` characters at
/// sentence ends (`.`, `!`, `?`, `…` followed by white space, or a line
/// break), so each part reads on its own; a sentence longer than a part is
/// cut at a word boundary (at a character, if it has no spaces). Parts keep
/// every character of the text but the white space between them.
public enum SentenceSplitter {
    public static func parts(_ text: String, maxChars: Int) -> [String] {
        guard maxChars > 0, text.count > maxChars else { return [text] }
        var parts: [String] = [], current = ""
        func flush() {
            let trimmed = current.trimmingWhitespace
            if !trimmed.isEmpty { parts.append(trimmed) }
            current = ""
        }
        for sentence in sentences(text) {
            if current.count + sentence.count <= maxChars {
                current += sentence
                continue
            }
            flush()
            var rest = Substring(sentence)
            while rest.count > maxChars {
                let window = rest.prefix(maxChars)
                let cut = window.lastIndex(where: \.isWhitespace).map { rest.index(after: $0) } ?? window.endIndex
                parts.append(String(rest[..<cut]).trimmingWhitespace)
                rest = rest[cut...]
            }
            current = String(rest)
        }
        flush()
        return parts.filter { !$0.isEmpty }
    }

    /// The text's sentences, each with the white space that follows it. A
    /// sentence ends at `.`, `!`, `?` or `…` (closing quotes and brackets may
    /// follow) before white space, or at a line break: "3.5" and "e.g.x" do not end one.
    static func sentences(_ text: String) -> [String] {
        enum State { case inside, punctuation, boundary }
        var result: [String] = [], current = "", state = State.inside
        for character in text {
            if state == .boundary, !character.isWhitespace {
                result.append(current)
                current = ""
                state = .inside
            }
            current.append(character)
            if character.isNewline {
                state = .boundary
            } else if ".!?…".contains(character) {
                if state != .boundary { state = .punctuation }
            } else if character.isWhitespace {
                if state == .punctuation { state = .boundary }
            } else if state == .punctuation, "\"'”’)]".contains(character) {
                continue
            } else if state != .boundary {
                state = .inside
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view.removeFirst() }
        while view.last?.isWhitespace == true { view.removeLast() }
        return String(view)
    }
}
