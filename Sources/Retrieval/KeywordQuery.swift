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

/// Compound words in a query: "road trip" is also looked up as the one word
/// roadtrip, and "roadtrips" as road + trips, when the namespace has those
/// terms (so a memory written either way is found).
enum Compounds {
    /// The index terms (stemmed) of the joins and halves of `words` that `known` has.
    static func stems(of words: [String], parameters: KeywordIndex.Parameters, known: (String) -> Bool) -> [String] {
        var stems: [String] = []
        for (a, b) in zip(words, words.dropFirst()) where a.count >= 2 && b.count >= 2 {
            let joined = parameters.term(a + b)
            if known(joined) { stems.append(joined) }
        }
        for word in words where word.count >= 6 && word.allSatisfy(\.isLetter) {
            let characters = Array(word)
            // Every split with halves of at least three letters whose both terms are known.
            for cut in 3...(characters.count - 3) {
                let leftWord = String(characters[..<cut]), rightWord = String(characters[cut...])
                guard !StopWords.english.contains(leftWord), !StopWords.english.contains(rightWord) else { continue }
                let left = parameters.term(leftWord), right = parameters.term(rightWord)
                if known(left), known(right) { stems += [left, right] }
            }
        }
        return stems
    }
}
