import Testing
@testable import MemCube

@Suite struct SentenceSplitterTests {
    @Test func sentencesEndAtPunctuationBeforeSpaceNotInsideNumbersOrAbbreviationsRunTogether() {
        #expect(SentenceSplitter.sentences("It costs 3.5 euros. Really? Yes!\nNew line") .count == 4)
        #expect(SentenceSplitter.sentences("It costs 3.5 euros.") == ["It costs 3.5 euros."])
        #expect(SentenceSplitter.sentences("He said \"go.\" Then left.") == ["He said \"go.\" ", "Then left."])
    }

    @Test func partsFitAndKeepEveryWord() {
        let text = (1...40).map { "Sentence \($0) is here." }.joined(separator: " ")
        let parts = SentenceSplitter.parts(text, maxChars: 100)
        #expect(parts.allSatisfy { $0.count <= 100 && $0.hasSuffix(".") })
        #expect(parts.joined(separator: " ") == text)
        #expect(SentenceSplitter.parts("short", maxChars: 100) == ["short"])
        // A sentence longer than a part is cut between words, or inside a word that has no spaces.
        let long = String(repeating: "word ", count: 100)
        #expect(SentenceSplitter.parts(long, maxChars: 42).allSatisfy { $0.count <= 42 })
        let unbroken = String(repeating: "x", count: 250)
        #expect(SentenceSplitter.parts(unbroken, maxChars: 100).map(\.count) == [100, 100, 50])
    }
}
