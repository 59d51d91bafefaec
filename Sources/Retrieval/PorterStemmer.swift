/// The Porter stemming algorithm (M. F. Porter, "An algorithm for suffix
/// stripping", 1980), as in the author's reference implementation, including
/// its two documented departures (`bli` → `ble`, `logi` → `log`). It is the
/// stemmer of SQLite FTS5's `porter` tokenizer too, whose stems it matches
/// (tested), down to FTS5's one difference: the bare words "sses" and "ies".
///
/// Works on lower-case ASCII words (digits count as consonants, as in
/// FTS5: "10july" → "10juli"); longer than 64 bytes or non-ASCII words are
/// returned unchanged.
public enum PorterStemmer {
    public static let maxLength = 64

    public static func stem(_ word: String) -> String {
        let utf8 = Array(word.utf8)
        guard utf8.count > 2, utf8.count <= maxLength, utf8.allSatisfy({
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
        }) else { return word }
        var s = Stem(utf8)
        s.step1ab()
        if s.k > 0 {
            s.step1c()
            s.step2()
            s.step3()
            s.step4()
            s.step5()
        }
        return String(decoding: s.b[0...s.k], as: UTF8.self)
    }

    /// The reference implementation's state: the word in `b[0...k]`, and `j`
    /// the end of the stem before a matched suffix.
    private struct Stem {
        var b: [UInt8]
        var k: Int
        var j = 0

        init(_ bytes: [UInt8]) {
            b = bytes
            k = bytes.count - 1
        }

        /// Whether b[i] is a consonant (y is one after a vowel or at the start).
        func cons(_ i: Int) -> Bool {
            switch b[i] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
            case UInt8(ascii: "y"): return i == 0 ? true : !cons(i - 1)
            default: return true
            }
        }

        /// The measure m of b[0...j]: the number of vowel-consonant sequences.
        func m() -> Int {
            var n = 0, i = 0
            while true {
                if i > j { return n }
                if !cons(i) { break }
                i += 1
            }
            i += 1
            while true {
                while true {
                    if i > j { return n }
                    if cons(i) { break }
                    i += 1
                }
                i += 1
                n += 1
                while true {
                    if i > j { return n }
                    if !cons(i) { break }
                    i += 1
                }
                i += 1
            }
        }

        func vowelInStem() -> Bool { j >= 0 && (0...j).contains { !cons($0) } }

        func doubleConsonant(_ i: Int) -> Bool { i >= 1 && b[i] == b[i - 1] && cons(i) }

        /// consonant-vowel-consonant ending at i, the last not w, x or y.
        func cvc(_ i: Int) -> Bool {
            guard i >= 2, cons(i), !cons(i - 1), cons(i - 2) else { return false }
            return b[i] != UInt8(ascii: "w") && b[i] != UInt8(ascii: "x") && b[i] != UInt8(ascii: "y")
        }

        mutating func ends(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard n <= k + 1 else { return false }
            let matches = suffix.withUTF8Buffer { s in (0..<n).allSatisfy { b[k - n + 1 + $0] == s[$0] } }
            if matches { j = k - n }
            return matches
        }

        mutating func setTo(_ replacement: StaticString) {
            replacement.withUTF8Buffer { r in b.replaceSubrange((j + 1)..<(k + 1), with: r) }
            k = j + replacement.utf8CodeUnitCount
        }

        mutating func replace(_ replacement: StaticString) { if m() > 0 { setTo(replacement) } }

        /// Plurals and -ed / -ing.
        mutating func step1ab() {
            if b[k] == UInt8(ascii: "s") {
                // As FTS5: -sses and -ies only after at least one letter ("sses" → "sse", "ies" → "ie").
                if ends("sses"), k > 3 { k -= 2 } else if ends("ies"), k > 2 { setTo("i") } else if b[k - 1] != UInt8(ascii: "s") { k -= 1 }
            }
            if ends("eed") {
                if m() > 0 { k -= 1 }
            } else if (ends("ed") || ends("ing")) && vowelInStem() {
                k = j
                if ends("at") { setTo("ate") } else if ends("bl") { setTo("ble") } else if ends("iz") { setTo("ize") } else if doubleConsonant(k) {
                    let c = b[k]
                    if c != UInt8(ascii: "l") && c != UInt8(ascii: "s") && c != UInt8(ascii: "z") { k -= 1 }
                } else if m() == 1, cvc(k) {  // j == k here: m() measures the whole stem
                    setTo("e")
                }
            }
        }

        /// Terminal y to i when the stem has a vowel.
        mutating func step1c() {
            if ends("y"), vowelInStem() { b[k] = UInt8(ascii: "i") }
        }

        /// Double suffixes to single ones (-ization → -ize ...), keyed by the penultimate letter.
        static let step2Rules = rules([
            "a": [("ational", "ate"), ("tional", "tion")],
            "c": [("enci", "ence"), ("anci", "ance")],
            "e": [("izer", "ize")],
            "l": [("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")],
            "o": [("ization", "ize"), ("ation", "ate"), ("ator", "ate")],
            "s": [("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")],
            "t": [("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")],
            "g": [("logi", "log")],
        ])

        /// -ic-, -full, -ness etc., keyed by the last letter.
        static let step3Rules = rules([
            "e": [("icate", "ic"), ("ative", ""), ("alize", "al")],
            "i": [("iciti", "ic")],
            "l": [("ical", "ic"), ("ful", "")],
            "s": [("ness", "")],
        ])

        static func rules(_ table: [Character: [(StaticString, StaticString)]]) -> [UInt8: [(StaticString, StaticString)]] {
            Dictionary(uniqueKeysWithValues: table.map { ($0.asciiValue!, $1) })
        }

        /// The first rule whose suffix matches is applied if the measure allows.
        mutating func apply(_ rules: [(StaticString, StaticString)]?) {
            for (suffix, replacement) in rules ?? [] where ends(suffix) {
                replace(replacement)
                return
            }
        }

        mutating func step2() { if k >= 1 { apply(Self.step2Rules[b[k - 1]]) } }

        mutating func step3() { apply(Self.step3Rules[b[k]]) }

        /// -ant, -ence etc. in context <c>vcvc<v>. As in the reference, the
        /// first suffix that matches is the one tried, even if its condition fails.
        mutating func step4() {
            guard k >= 1 else { return }
            let matched: Bool
            switch b[k - 1] {
            case UInt8(ascii: "a"): matched = ends("al")
            case UInt8(ascii: "c"): matched = ends("ance") || ends("ence")
            case UInt8(ascii: "e"): matched = ends("er")
            case UInt8(ascii: "i"): matched = ends("ic")
            case UInt8(ascii: "l"): matched = ends("able") || ends("ible")
            case UInt8(ascii: "n"): matched = ends("ant") || ends("ement") || ends("ment") || ends("ent")
            case UInt8(ascii: "o"):
                matched = (ends("ion") && j >= 0 && (b[j] == UInt8(ascii: "s") || b[j] == UInt8(ascii: "t"))) || ends("ou")
            case UInt8(ascii: "s"): matched = ends("ism")
            case UInt8(ascii: "t"): matched = ends("ate") || ends("iti")
            case UInt8(ascii: "u"): matched = ends("ous")
            case UInt8(ascii: "v"): matched = ends("ive")
            case UInt8(ascii: "z"): matched = ends("ize")
            default: matched = false
            }
            if matched, m() > 1 { k = j }
        }

        /// A final -e, and -ll to -l, when the measure allows.
        mutating func step5() {
            j = k
            if b[k] == UInt8(ascii: "e") {
                let a = m()
                if a > 1 || (a == 1 && !cvc(k - 1)) { k -= 1 }
            }
            if b[k] == UInt8(ascii: "l"), doubleConsonant(k), m() > 1 { k -= 1 }
        }
    }
}
