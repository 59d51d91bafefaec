/// The keyword terms of a user's natural-language query.
///
/// User text is never query syntax: it is split into words (`KeywordTerms`)
/// and the distinct content words are looked up, OR'ed, so a memory matching
/// more and rarer terms ranks first (BM25). Stop words are dropped unless the
/// query has nothing else.
public enum KeywordQuery {
    public static let maxTerms = 64

    /// The query's distinct content words (all its words if it has only stop words).
    public static func terms(for text: String) -> [String] {
        let words = KeywordTerms.words(text)
        var content = words.filter { !StopWords.english.contains($0) }
        if content.isEmpty { content = words }
        var seen = Set<String>()
        return Array(content.filter { seen.insert($0).inserted }.prefix(maxTerms))
    }
}
