import Testing
@testable import Retrieval
import MemCube

@Suite struct EntityExtractorTests {
    func keys(_ text: String, _ kind: Entity.Kind? = nil) -> [String] {
        EntityExtractor.extract(text).filter { kind == nil || $0.kind == kind }.map(\.key)
    }

    @Test func namesWithPossessivesAndTitles() {
        #expect(keys("I met Caroline's sister and Dr. Jane Smith in New York.", .name) == ["caroline", "jane smith", "new york"])
        #expect(keys("Hey Mel! Good to see you!", .name) == ["mel"])
        #expect(keys("Caroline: I went to a LGBTQ support group yesterday.", .name) == ["caroline", "lgbtq"])
        #expect(EntityExtractor.normalize("Caroline’s") == "caroline")
        #expect(keys("Thanks, that sounds great. Yes it is.", .name).isEmpty)
    }

    @Test func datesNumbersAndQuotes() {
        #expect(keys("It was on 7 May 2023, or May 8, 2023, or in June 2022 or 2021-03-04.", .date)
            == ["2023-05-07", "2023-05-08", "2022-06", "2021-03-04"])
        #expect(keys("She may come in May.", .date).isEmpty)
        #expect(keys("I ran 5 km and paid $20 for 3 kids, 20% off.", .number) == ["5 km", "$20", "3 kids", "20%"])
        #expect(keys(#"My favourite book is "Charlotte's Web" by the way"#, .phrase) == ["charlotte web"])
    }

    @Test func contactsAndTags() {
        let found = EntityExtractor.extract("Mail bob@example.com, see https://example.com/x, ping @melanie #painting")
        #expect(found.first { $0.kind == .email }?.key == "bob@example.com")
        #expect(found.first { $0.kind == .url }?.key == "https://example.com/x")
        #expect(found.first { $0.kind == .handle }?.key == "@melanie")
        #expect(found.first { $0.kind == .hashtag }?.key == "#painting")
    }
}
