/// Builds an FTS5 MATCH expression from a user's natural-language text.
///
/// User text is never FTS5 syntax: it is split into word tokens, each one
/// quoted as a string, and the terms are OR'ed (FTS5 ANDs bare terms, which
/// loses most matches for a question). Stop words are dropped unless the
/// query has nothing else. BM25 then ranks documents matching more and
/// rarer terms first.
public enum KeywordQuery {
    public static let maxTerms = 64

    /// The MATCH expression, or nil when the text has no searchable word.
    public static func match(for text: String) -> String? {
        expression(terms(for: text))
    }

    /// The query's distinct content words (all its words if it has only stop words).
    public static func terms(for text: String) -> [String] {
        let words = TextTokens.words(text)
        var content = words.filter { !StopWords.english.contains($0) }
        if content.isEmpty { content = words }
        var seen = Set<String>()
        return Array(content.filter { seen.insert($0).inserted }.prefix(maxTerms))
    }

    /// Terms quoted and OR'ed; nil for none.
    public static func expression(_ terms: [String]) -> String? {
        guard !terms.isEmpty else { return nil }
        // Tokens hold only letters and digits, but quote-doubling keeps this
        // safe even if the tokenizer ever lets a quote through.
        return terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: " OR ")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
