import MemCube

/// Finds entities in text without a model: capitalized name sequences (with
/// titles and possessives normalized), quoted phrases, dates, numbers with
/// units, emails, URLs, @handles and #tags.
///
/// Heuristic and fast (one pass over the words). Errs toward missing an
/// entity rather than inventing one from a sentence's first word.
public enum EntityExtractor {
    public static func extract(_ text: String) -> [Entity] {
        var found: [Entity] = []
        var seen = Set<String>()
        func add(_ key: String, _ display: String, _ kind: Entity.Kind) {
            let key = key.trimmingCharacters(" ")
            guard !key.isEmpty, key.count <= 100, seen.insert(kind.rawValue + ":" + key).inserted else { return }
            found.append(Entity(key: key, display: display, kind: kind))
        }

        // Split on the bytes (spaces and line breaks are ASCII, never inside a longer character).
        let words = text.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D })
            .map { String(Substring($0)) }
        // Each word once without its punctuation, and lower-cased: the checks below look at them many times.
        let cleaned = words.map(trimmingWordPunctuation)
        let lowered = cleaned.map { $0.lowercased() }
        quotedPhrases(text).forEach { add(normalize($0), $0, .phrase) }

        var nameRun: [String] = []
        var sentenceStart = true
        func flushName() {
            defer { nameRun.removeAll() }
            // Drop leading titles: "Dr. Jane Smith" -> "jane smith".
            let parts = nameRun.drop { titles.contains(normalize($0)) }
            guard !parts.isEmpty else { return }
            add(parts.map(normalize).joined(separator: " "), nameRun.joined(separator: " "), .name)
        }

        var skipUntil = 0
        for (i, raw) in words.enumerated() where i >= skipUntil {
            let word = cleaned[i], lower = lowered[i]
            defer { sentenceStart = raw.last.map { ".!?:".contains($0) } ?? false }

            if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("www.") {
                flushName(); add(lower, word, .url); continue
            }
            if word.hasPrefix("@"), word.count > 1, !word.dropFirst().contains("@") {
                flushName(); add(lower, word, .handle); continue
            }
            if word.hasPrefix("#"), word.count > 1, word.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                flushName(); add(lower, word, .hashtag); continue
            }
            if word.utf8.contains(0x40), let at = word.firstIndex(of: "@"), at != word.startIndex, word[word.index(after: at)...].contains(".") {
                flushName(); add(lower, word, .email); continue
            }
            if let date = date(words: words, lowered: lowered, at: i) {
                flushName(); add(date.key, date.display, .date)
                skipUntil = i + date.display.split(separator: " ").count
                continue
            }
            if let quantity = quantity(words: words, cleaned: cleaned, lowered: lowered, at: i) {
                flushName(); add(quantity.key, quantity.display, .number)
                skipUntil = i + quantity.display.split(separator: " ").count
                continue
            }
            let capitalized: Bool
            switch word.utf8.first {
            case nil: capitalized = false
            case let byte? where byte < 0x80: capitalized = byte >= 0x41 && byte <= 0x5A  // ASCII: A-Z, without the tables
            default: capitalized = word.first!.isUppercase
            }
            let isName = capitalized && word.count > 1 && !months.keys.contains(lower) && !weekdays.contains(lower)
                && !(sentenceStart && nameRun.isEmpty && commonStarters.contains(lower))
                && !StopWords.english.contains(lower) && !commonStarters.contains(lower) || (capitalized && titles.contains(normalize(word)))
            if isName {
                nameRun.append(word)
                // A run ends at a word that ends a clause ("Paris," "Berlin.").
                if let last = raw.last, ",.;:!?)\"”".contains(last), !titles.contains(normalize(word)) { flushName() }
            } else {
                flushName()
            }
        }
        flushName()
        return found
    }

    /// "Caroline's" -> "caroline"; "LGBTQ+" -> "lgbtq"; word by word, so
    /// "Charlotte's Web" -> "charlotte web".
    public static func normalize(_ text: String) -> String {
        // Most words are plain ASCII letters and digits: nothing to strip.
        if !text.isEmpty, text.utf8.allSatisfy(isASCIIAlphanumeric) {
            return text.lowercased()
        }
        return text.lowercased().split(separator: " ").compactMap { word -> String? in
            var word = String(word).trimmingCharacters(wordPunctuation)
            for suffix in ["'s", "’s", "s'", "s’"] where word.hasSuffix(suffix) && word.count > suffix.count + 1 {
                word.removeLast(suffix == "s'" || suffix == "s’" ? 1 : 2)
                break
            }
            let kept = word.unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }
            return kept.isEmpty ? nil : String(String.UnicodeScalarView(kept))
        }.joined(separator: " ")
    }

    /// `word` without leading and trailing `wordPunctuation`.
    static func trimmingWordPunctuation(_ word: String) -> String {
        // Fast path: a word that starts and ends with an ASCII letter or digit keeps all of it.
        if let first = word.utf8.first, let last = word.utf8.last, isASCIIAlphanumeric(first), isASCIIAlphanumeric(last) {
            return word
        }
        return word.trimmingCharacters(wordPunctuation)
    }

    static func hasDigit(_ word: String) -> Bool {
        word.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    @inline(__always)
    static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    static let wordPunctuation: Set<Character> = [",", ".", ";", ":", "!", "?", "(", ")", "[", "]", "{", "}", "\"", "“", "”", "‘", "'", "’", "…"]

    static let titles: Set<String> = ["mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "madam", "mx", "st", "aunt", "uncle", "coach"]

    static let months: [String: Int] = [
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
        "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
        "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    ]

    static let weekdays: Set<String> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Capitalized words that start sentences without naming anything.
    static let commonStarters: Set<String> = [
        "hey", "hi", "hello", "yes", "yeah", "yep", "no", "nope", "wow", "oh", "ah", "thanks", "thank", "okay", "ok",
        "sure", "well", "great", "good", "awesome", "cool", "nice", "haha", "lol", "omg", "congrats", "congratulations",
        "sounds", "glad", "sorry", "really", "totally", "definitely", "absolutely", "maybe", "hope", "love", "let",
        "let's", "that's", "it's", "i'm", "i've", "i'd", "i'll", "you're", "we're", "they're", "there's", "what's",
        "amazing", "wonderful", "awesome", "exactly", "true", "right", "anyway", "also", "plus", "actually", "honestly",
        "by", "speaking", "btw", "please", "happy", "welcome", "bye", "goodbye", "cheers", "dear", "today", "tomorrow",
        "yesterday", "tonight", "last", "next", "this", "every", "one", "two", "three", "first", "second", "thinking",
        "looking", "going", "keep", "take", "make", "see", "check", "guess", "wish", "bet", "agreed", "absolutely",
    ]

    static let units: Set<String> = [
        "km", "kilometers", "kilometres", "mile", "miles", "m", "meters", "metres", "kg", "kilograms", "lb", "lbs",
        "pounds", "g", "grams", "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
        "minute", "minutes", "min", "mins", "second", "seconds", "dollars", "dollar", "euros", "euro", "usd", "eur",
        "percent", "%", "times", "kids", "children", "people", "books", "pages", "steps", "calories", "degrees", "°c", "°f",
        "gb", "mb", "tb", "cm", "mm", "inches", "inch", "feet", "ft", "am", "pm",
    ]

    /// A date starting at word `i`: "7 May 2023", "May 7, 2023", "May 2023", "2023-05-07", "05/07/2023", "2023".
    /// `lowered` holds the words without punctuation, lower-cased.
    static func date(words: [String], lowered: [String], at i: Int) -> (key: String, display: String)? {
        func clean(_ k: Int) -> String? { k < lowered.count ? lowered[k] : nil }
        guard let w = clean(i) else { return nil }
        // Every form holds a digit or starts with a month name.
        guard hasDigit(w) || months[w] != nil else { return nil }
        func year(_ text: String?) -> Int? {
            guard let text, text.count == 4, let y = Int(text), (1900...2099).contains(y) else { return nil }
            return y
        }
        func day(_ text: String?) -> Int? {
            guard var text else { return nil }
            for suffix in ["st", "nd", "rd", "th"] where text.hasSuffix(suffix) { text.removeLast(2) }
            guard let d = Int(text), (1...31).contains(d) else { return nil }
            return d
        }
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        // ISO and numeric forms.
        let dashed = w.split(separator: "-")
        if dashed.count == 3, let y = year(String(dashed[0])), let m = Int(dashed[1]), (1...12).contains(m), let d = day(String(dashed[2])) {
            return ("\(y)-\(pad(m))-\(pad(d))", words[i])
        }
        let slashed = w.split(separator: "/")
        if slashed.count == 3, let a = Int(slashed[0]), let b = Int(slashed[1]), let y = year(String(slashed[2])), (1...12).contains(a), (1...31).contains(b) {
            return ("\(y)-\(pad(a))-\(pad(b))", words[i])
        }
        // 7 May 2023 / 7 May
        if let d = day(w), let m = clean(i + 1).flatMap({ months[$0] }) {
            if let y = year(clean(i + 2)) { return ("\(y)-\(pad(m))-\(pad(d))", words[i...(i + 2)].joined(separator: " ")) }
            return ("--\(pad(m))-\(pad(d))", words[i...(i + 1)].joined(separator: " "))
        }
        // May 7, 2023 / May 2023 (a month name needs a number beside it: "may" is also a verb)
        if let m = months[w], w.count >= 3 {
            if let d = day(clean(i + 1)) {
                if let y = year(clean(i + 2)) { return ("\(y)-\(pad(m))-\(pad(d))", words[i...(i + 2)].joined(separator: " ")) }
                return ("--\(pad(m))-\(pad(d))", words[i...(i + 1)].joined(separator: " "))
            }
            if let y = year(clean(i + 1)) { return ("\(y)-\(pad(m))", words[i...(i + 1)].joined(separator: " ")) }
            return nil
        }
        if let y = year(w), i == 0 || clean(i - 1).flatMap({ months[$0] }) == nil {
            return ("\(y)", words[i])
        }
        return nil
    }

    /// "5 km", "$20", "20%", "3 kids".
    static func quantity(words: [String], cleaned: [String], lowered: [String], at i: Int) -> (key: String, display: String)? {
        let word = cleaned[i]
        guard hasDigit(word) else { return nil }  // no number, no quantity
        if word.hasPrefix("$") || word.hasPrefix("€") || word.hasPrefix("£"), Double(word.dropFirst().filter { $0 != "," }) != nil {
            return (word.lowercased().filter { $0 != "," }, word)
        }
        if word.hasSuffix("%"), Double(word.dropLast()) != nil { return (word, word) }
        guard Double(word.filter { $0 != "," }) != nil, i + 1 < words.count else { return nil }
        let unit = lowered[i + 1]
        guard units.contains(unit) else { return nil }
        return ("\(word.filter { $0 != "," }) \(unit)", "\(word) \(cleaned[i + 1])")
    }

    /// Text between straight or curly double quotes, 1 to 8 words.
    static func quotedPhrases(_ text: String) -> [String] {
        // Most texts quote nothing: look for '"' and the curly quotes' lead bytes (E2 80 9C/9D) first.
        guard text.utf8.contains(where: { $0 == 0x22 || $0 == 0xE2 }) else { return [] }
        var phrases: [String] = []
        var current: String?
        for character in text {
            if character == "\"" || character == "“" || character == "”" {
                if let phrase = current {
                    let words = phrase.split(separator: " ").count
                    if (1...8).contains(words) { phrases.append(phrase) }
                    current = nil
                } else if character != "”" {
                    current = ""
                }
            } else if current != nil {
                current!.append(character)
            }
        }
        return phrases
    }
}

extension String {
    func trimmingCharacters(_ set: Set<Character>) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s = s.dropFirst() }
        while let last = s.last, set.contains(last) { s = s.dropLast() }
        return String(s)
    }

    func trimmingCharacters(_ character: Character) -> String {
        trimmingCharacters([character])
    }
}
