import Testing
import MemCube
import MemJSON
@testable import Consolidation

@Suite struct TextFactsTests {
    @Test func negationNumbersAndDatesAreReadOff() {
        let facts = TextFacts("Melanie doesn't like green tea; she had 3 cups on Monday, May 4th")
        #expect(facts.negations == 1 && facts.negated == ["like"])
        #expect(facts.numbers == ["3", "4"])
        #expect(facts.dates == ["monday", "may"])
        #expect(facts.stems.isSuperset(of: ["melani", "like", "green", "tea", "cup"]))
        #expect(TextFacts("I have twelve cats").numbers == ["12"])
        #expect(TextFacts("We won the final").negations == 0)  // "won" without "'t"
    }

    @Test func sameClaimNeedsTheSameNegationNumbersDatesAndWords() {
        let tea = TextFacts("I like tea")
        #expect(tea.sameClaim(as: TextFacts("I like tea!")))
        #expect(tea.sameClaim(as: TextFacts("I really like tea in the morning")))  // a superset of words
        #expect(!tea.sameClaim(as: TextFacts("I don't like tea")))
        #expect(!tea.sameClaim(as: TextFacts("I like coffee")))
        #expect(!TextFacts("The meeting is on May 3").sameClaim(as: TextFacts("The meeting is on May 4")))
        #expect(!TextFacts("We met on Monday").sameClaim(as: TextFacts("We met on Tuesday")))
    }

    @Test func conflictsNeedAWordDeniedOnOneSideAndStatedOnTheOther() {
        #expect(TextFacts("Melanie likes green tea").conflict(with: TextFacts("Melanie does not like green tea"))?.hasPrefix("one says not") == true)
        #expect(TextFacts("The party is on May 3 at Jon's place").conflict(with: TextFacts("The party is on May 4 at Jon's place"))?
            .hasPrefix("numbers differ") == true)
        // Idioms and unrelated negations are not contradictions.
        #expect(TextFacts("No problem, John. Let me know if you need any help.")
            .conflict(with: TextFacts("Sure thing, John. Let me know if you need any help.")) == nil)
        #expect(TextFacts("I won't give up, thanks for the kind words").conflict(with: TextFacts("Thanks for the kind words!")) == nil)
        #expect(TextFacts("I like tea").conflict(with: TextFacts("I like tea")) == nil)
    }
}

@Suite struct DuplicateFinderTests {
    func item(_ key: Int64, _ text: String, agent: String? = nil, attributes: [String: JSONValue] = [:], at seconds: Int64 = 0)
        -> ConsolidationItem
    {
        ConsolidationItem(
            key: key, id: CubeID.generate(at: key), agent: agent, session: nil, text: text,
            time: Timestamp(millis: seconds * 1000), attributes: attributes)
    }

    @Test func exactAndNearDuplicatesGroupUnderTheOldestAndKeepTheFullestText() {
        let items = [
            item(1, "Caroline adopted a dog named Max"),
            item(2, "caroline adopted a dog named max!"),
            item(3, "Caroline adopted a dog named Max in May"),  // a date the others lack: not the same claim
            item(4, "Caroline happily adopted a dog named Max"),
            item(5, "Caroline adopted a dog named Max", agent: "other"),  // another agent's memory
            item(6, "Caroline did not adopt a dog named Max"),
        ]
        let similar: [Int64: [SimilarItem]] = [1: [(2, 1), (3, 0.97), (4, 0.96), (5, 1), (6, 0.95)]]
        let groups = DuplicateFinder(nearThreshold: 0.9).groups(items) { similar[$0] ?? [] }
        #expect(groups.count == 1)
        #expect(groups.first?.survivor == 1 && groups.first?.others == [2, 4] && groups.first?.textFrom == 4)
        #expect(groups.first?.exact == false)
        // Below the threshold nothing near merges; exact duplicates still do.
        let strict = DuplicateFinder(nearThreshold: 0.99).groups(items) { _ in [] }
        #expect(strict.map(\.others) == [[2]] && strict.first?.exact == true)
    }

    @Test func conflictsArePairsOfSimilarMemoriesOnce() {
        let items = [item(1, "Melanie likes green tea"), item(2, "Melanie does not like green tea"), item(3, "Jon plays guitar")]
        let similar: [Int64: [SimilarItem]] = [1: [(2, 0.9), (3, 0.85)], 2: [(1, 0.9)]]
        let conflicts = DuplicateFinder(conflictThreshold: 0.8).conflicts(items) { similar[$0] ?? [] }
        #expect(conflicts.map { [$0.a, $0.b] } == [[1, 2]])
    }

    @Test func newerStatementsOfAFactCloseTheOlderOnes() {
        let items = [
            item(1, "Caroline lives in Paris", attributes: ["key": "home"], at: 100),
            item(2, "Caroline lives in Berlin", attributes: ["key": "home"], at: 300),
            item(3, "Caroline lives in Rome", attributes: ["key": "home"], at: 200),
            item(4, "Caroline lives in Oslo", agent: "b", attributes: ["key": "home"], at: 400),  // another agent
            item(5, "Jon works as a baker", attributes: ["subject": "Jon", "predicate": "works as"], at: 100),
            item(6, "Jon works as a banker", attributes: ["subject": "jon", "predicate": "Works As"], at: 50),
        ]
        let closings = FactSupersession.closings(items) { _ in nil }
        #expect(closings.map { [$0.older, $0.newer] } == [[1, 3], [3, 2], [6, 5]])
        #expect(closings.first?.validTo == Timestamp(millis: 200_000))
        // Already closed at the right time: nothing to do.
        #expect(FactSupersession.closings(items) { _ in Timestamp(millis: 0) }.isEmpty)
    }

    @Test func extractiveSummaryPicksCentralMembersThatDoNotRepeatEachOther() {
        let vectors: [[Float]] = [[1, 0, 0], [0.99, 0.14, 0], [0.7, 0.7, 0], [0, 0, 1]]
        let picked = ExtractiveSummary.pick(vectors: vectors, count: 2)
        #expect(picked.count == 2 && !(picked.contains(0) && picked.contains(1)))
        #expect(ExtractiveSummary.text(of: ["one", "two!"]) == "one. two!")
    }
}

@Suite struct EntityAliasTests {
    @Test func foldedSpellingsAndTheOnlyFullNameAreAliases() {
        let names: [(id: Int64, key: String, display: String)] = [
            (1, "josé", "José"), (2, "jose", "Jose"), (3, "caroline", "Caroline"), (4, "caroline smith", "Caroline Smith"),
            (5, "jon", "Jon"), (6, "jon snow", "Jon Snow"), (7, "jon smith", "Jon Smith"),  // two Jons: ambiguous
            (8, "mary-ann", "Mary-Ann"), (9, "mary ann", "Mary Ann"),
            (10, "go", "Go"), (11, "go jon", "Go Jon"),  // a sentence opening, not a full name
            (12, "learning", "Learning"), (13, "learning german", "Learning German"),
        ]
        let pairs = EntityAliases.pairs(names).map { [$0.a, $0.b] }
        #expect(pairs == [[1, 2], [3, 4], [8, 9]])
    }
}
