import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore
@testable import Retrieval

@Suite struct KeywordQueryTests {
    @Test func keepsTheContentWords() {
        #expect(KeywordQuery.terms(for: "Where did Caroline go in May?") == ["caroline", "go", "may"])
        #expect(KeywordQuery.terms(for: "the of and") == ["the", "of", "and"])
        #expect(KeywordQuery.terms(for: "?!* ()").isEmpty)
    }

    @Test func queryOperatorsAreJustWords() {
        #expect(KeywordQuery.terms(for: #"tea" OR NEAR(x y) * ^col:"#) == ["tea", "near", "x", "y", "col"])
        #expect(KeywordQuery.terms(for: "\u{0}tea -tea tea*") == ["tea"])
    }
}
