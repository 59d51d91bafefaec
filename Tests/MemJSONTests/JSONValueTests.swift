import Foundation
import Testing
@testable import MemJSON

@Suite struct JSONValueTests {
    @Test func roundTripsKeepingIntegersIntegers() throws {
        let text = #"{"a":1,"b":1.5,"c":"x","d":[true,null],"e":{"f":-9007199254740993}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["e"]?["f"] == .int(-9_007_199_254_740_993))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
    }
}
