import Testing
@testable import Retrieval

@Suite struct ParallelMapTests {
    @Test(arguments: [0, 1, 63, 64, 65, 1_001])
    func mapsInOrderOnAnyNumberOfThreads(count: Int) {
        let items = Array(0..<count)
        #expect(ParallelMap.map(items) { $0 * 3 + 1 } == items.map { $0 * 3 + 1 })
    }

    @Test func aBatchOfTextsEmbedsAsOneByOne() {
        let embedder = HashingEmbedder()
        let texts = (0..<200).map { "memory number \($0) about Caroline's trip to Paris" }
        #expect(embedder.embed(texts) == texts.map { embedder.embed([$0])[0] })
    }
}
