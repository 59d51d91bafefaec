import Foundation
import Testing
import MemCube
import MemStore
import MemTestSupport
@testable import Retrieval

@Suite struct PorterStemmerTests {
    @Test func classicExamples() {
        let cases = [
            "caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
            "feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
            "sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
            "tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
            "filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
            "rational": "ration", "valenci": "valenc", "digitizer": "digit", "conformabli": "conform",
            "radicalli": "radic", "differentli": "differ", "vileli": "vile", "analogousli": "analog",
            "vietnamization": "vietnam", "predication": "predic", "operator": "oper", "feudalism": "feudal",
            "decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
            "sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
            "formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope",
            "goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
            "airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
            "irritant": "irrit", "replacement": "replac", "adjustment": "adjust", "dependent": "depend",
            "adoption": "adopt", "homologou": "homolog", "communism": "commun", "activate": "activ",
            "angulariti": "angular", "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
            "probate": "probat", "rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll",
            "generalizations": "gener", "oscillators": "oscil", "a": "a", "is": "is", "hiking": "hike",
            "2023": "2023", "caf\u{e9}": "caf\u{e9}", "sses": "sse", "ies": "ie",
        ]
        for (word, stem) in cases {
            #expect(PorterStemmer.stem(word) == stem, "\(word)")
        }
    }

    /// SQLite FTS5's `porter` tokenizer implements the same algorithm: our
    /// stems must equal its stems for a fixed list of words (the words of our
    /// own docs, `Tests/Fixtures/porter_words.txt`), each also with common
    /// suffixes so that every step of the algorithm sees many inputs.
    @Test func agreesWithFTS5Porter() throws {
        let base = try String(contentsOfFile: Fixtures.path("porter_words.txt"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(base.count > 1500)
        let suffixes = [
            "", "s", "es", "ed", "ing", "ly", "ness", "ation", "ational", "izer", "ful", "ive", "ize", "ement",
            "ent", "ism", "iti", "ous", "al", "ance", "ence", "er", "ic", "able", "ible",
        ]
        let words = Set(base.flatMap { word in suffixes.map { word + $0 } } + ["sses", "ies"])
        let db = try Connection(path: ":memory:")
        try db.execute("""
            CREATE VIRTUAL TABLE w USING fts5(x, tokenize = 'porter ascii');
            CREATE VIRTUAL TABLE v USING fts5vocab(w, 'instance');
            """)
        let list = words.sorted()
        try db.transaction {
            let insert = try db.prepare("INSERT INTO w(rowid, x) VALUES (?, ?)")
            for (i, word) in list.enumerated() { try insert.run(.int(Int64(i)), .text(word)) }
        }
        let stems = try db.prepare("SELECT doc, term FROM v").query([]) { ($0.int(0), $0.text(1) ?? "") }
        #expect(stems.count == list.count)
        var mismatches: [String] = []
        for (doc, stem) in stems where PorterStemmer.stem(list[doc]) != stem {
            mismatches.append("\(list[doc]): ours \(PorterStemmer.stem(list[doc])), FTS5 \(stem)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}
