import Retrieval

/// What consolidation compares between two memory texts besides their
/// vectors: the words that carry meaning, negation, numbers and dates.
///
/// Embeddings put "I like tea" and "I don't like tea" close together, and
/// "we met on May 3" next to "we met on May 4"; these facts keep such pairs
/// from being merged and mark them as possible conflicts instead.
public struct TextFacts: Sendable, Hashable {
    /// Lower-cased words without punctuation or diacritics, one space apart:
    /// exact duplicates have the same normalized text.
    public let normalized: String
    /// Stems of the content words (no stop words, negations, numbers or dates).
    public let stems: Set<String>
    /// How many negations the text has ("not", "never", "n't", "no"...).
    public let negations: Int
    /// Stems of the words negations apply to: the first content word after
    /// each one ("does not *like* tea" → "like").
    public let negated: Set<String>
    /// Numbers, as digits ("three" → "3").
    public let numbers: Set<String>
    /// Month and weekday names and relative days ("yesterday").
    public let dates: Set<String>

    public init(_ text: String) {
        let words = KeywordTerms.words(text)
        normalized = words.joined(separator: " ")
        var stems = Set<String>()
        var negations = 0
        var negated = Set<String>()
        var numbers = Set<String>()
        var dates = Set<String>()
        var pending = 0  // words left in which a content word is negated
        for (i, word) in words.enumerated() {
            if Self.negationWords.contains(word)
                || (word == "t" && i > 0 && Self.contractionHeads.contains(words[i - 1]))
            {
                negations += 1
                pending = 3
                continue
            }
            if pending > 0 {
                pending -= 1
                if !StopWords.english.contains(word), Self.number(word) == nil, Self.dateWords[word] == nil,
                   !(Self.contractionHeads.contains(word) && i + 1 < words.count && words[i + 1] == "t")
                {
                    negated.insert(PorterStemmer.stem(word))
                    pending = 0
                }
            }
            if let digits = Self.number(word) {
                numbers.insert(digits)
            } else if let date = Self.dateWords[word] {
                dates.insert(date)
            } else if Self.contractionHeads.contains(word), i + 1 < words.count, words[i + 1] == "t" {
                continue  // "don" of "don't": the "t" counts the negation
            } else if !StopWords.english.contains(word) {
                stems.insert(PorterStemmer.stem(word))
            }
        }
        self.stems = stems
        self.negations = negations
        self.negated = negated
        self.numbers = numbers
        self.dates = dates
    }

    /// True when one text says nothing the other does not: the same negation,
    /// numbers and dates, and every content word of the smaller one in the other.
    public func sameClaim(as other: TextFacts) -> Bool {
        guard negations == other.negations, negated == other.negated, numbers == other.numbers, dates == other.dates else {
            return false
        }
        return stems.count <= other.stems.count ? stems.isSubset(of: other.stems) : other.stems.isSubset(of: stems)
    }

    /// Why two similar texts may contradict each other, or nil: they share
    /// most content words (at least two) but one negates a word the other
    /// states, or their numbers or dates differ.
    public func conflict(with other: TextFacts) -> String? {
        let shared = stems.intersection(other.stems)
        let union = stems.union(other.stems).count
        guard shared.count >= 2, Double(shared.count) / Double(union) >= 0.5 else { return nil }
        let deniedHere = negated.subtracting(other.negated).intersection(other.stems)
        let deniedThere = other.negated.subtracting(negated).intersection(stems)
        if let word = (deniedHere.union(deniedThere)).sorted().first { return "one says not: \(word)" }
        if !numbers.isEmpty, !other.numbers.isEmpty, numbers != other.numbers {
            return "numbers differ: \(numbers.sorted().joined(separator: ",")) vs \(other.numbers.sorted().joined(separator: ","))"
        }
        if !dates.isEmpty, !other.dates.isEmpty, dates != other.dates {
            return "dates differ: \(dates.sorted().joined(separator: ",")) vs \(other.dates.sorted().joined(separator: ","))"
        }
        return nil
    }

    static let negationWords: Set<String> = [
        "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "nowhere", "without", "cannot",
        "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont", "cant", "couldnt", "shouldnt",
        "wouldnt", "havent", "hasnt", "hadnt",
    ]
    /// Words before a split-off "t" that make a negation ("don't" → "don", "t").
    static let contractionHeads: Set<String> = [
        "don", "doesn", "didn", "isn", "wasn", "aren", "weren", "won", "can", "couldn", "shouldn", "wouldn",
        "haven", "hasn", "hadn", "mustn", "ain",
    ]
    static let numberWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
        "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
        "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
        "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "once": 1, "twice": 2, "dozen": 12,
    ]
    static let dateWords: [String: String] = {
        var table: [String: String] = [:]
        let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                      "november", "december"]
        for month in months {
            table[month] = month
            table[String(month.prefix(3))] = month
        }
        table["sept"] = "september"
        table["mar"] = nil  // "mar" is rarely March in chat text
        for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] {
            table[day] = day
        }
        for word in ["yesterday", "today", "tomorrow", "tonight"] { table[word] = word }
        return table
    }()

    /// Digits for a number token: "42", "3rd" → "3", "three" → "3".
    static func number(_ word: String) -> String? {
        if let value = numberWords[word] { return String(value) }
        guard let first = word.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        let digits = word.prefix { $0.isASCII && $0.isNumber }
        let rest = word.dropFirst(digits.count)
        guard rest.isEmpty || ["st", "nd", "rd", "th", "s", "k", "am", "pm"].contains(String(rest)) else { return word }
        return String(digits.drop { $0 == "0" }.isEmpty ? "0" : digits.drop { $0 == "0" }) + (rest == "k" ? "000" : "")
    }
}
