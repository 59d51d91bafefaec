import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore

@Suite struct RowCodingTests {
    @Test(arguments: [
        [], ["a"], ["travel", "work"], ["with \"quote\""], ["back\\slash"], ["ünï", "😀"], ["a,b", "[x]"],
    ])
    func tagsRoundTripThroughTheFastPath(tags: [String]) {
        #expect(RowCoding.strings(RowCoding.json(tags)) == tags)
    }
}
