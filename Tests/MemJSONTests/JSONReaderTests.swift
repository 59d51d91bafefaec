import Foundation
import Testing
@testable import MemJSON

/// The reader and the value decoder replace `JSONDecoder` on the request
/// path: each case is checked against what `JSONDecoder` makes of it.
@Suite struct JSONReaderTests {
    static let valid = [
        #"{"a":1,"b":1.5,"c":"x","d":[true,false,null],"e":{"f":-9007199254740993}}"#,
        #"  [ 1 , 2.0 , 1e2 , -0 , 0.25 , 1E-2 , 9223372036854775807 , 9223372036854775808 , -9223372036854775808 ]  "#,
        #""plain""#, "null", "true", "17", "-3.5e3",
        #""esc: \" \\ \/ \b \f \n \r \t \u00e9 \u20ac \ud83d\ude00""#,
        #"{"ünï":"cödé ✓ 日本語 😀","k":{"k":{"k":[[],{}]}}}"#,
        #"{"dup":1,"dup":2}"#,
        "{\"tab\":\t\"x\"\r\n}",
        "[1,]", #"{"a":1,}"#,  // tolerated, as JSONDecoder tolerates them
    ]

    static let invalid = [
        "", " ", "{", "}", "[,]", "[1,,]", "[1 2]", #"{"a" 1}"#, #"{,}"#, #"{a:1}"#, "01", "1.", ".5", "-", "1e", "+1",
        "tru", "nul", "[1] x", #""open"#, #""\x""#, #""\u12""#, #""\ud83d""#, #""\ude00""#, "\"a\u{01}b\"", "1e400",
        "NaN", "'single'",
    ]

    @Test(arguments: valid)
    func readsWhatJSONDecoderReads(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONReader.parse(text) == expected)
    }

    @Test(arguments: invalid)
    func rejectsWhatJSONDecoderRejects(_ text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(text) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8AndTooDeepNesting() {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: JSONReader.maxDepth + 1) + String(repeating: "]", count: JSONReader.maxDepth + 1)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(deep) }
        let fine = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        #expect((try? JSONReader.parse(fine)) != nil)
    }

    @Test func reportsWhereTheTextWentWrong() {
        #expect(throws: JSONReader.Failure(offset: 7, reason: "expected ',' or '}' in an object")) {
            try JSONReader.parse(#"{"a":1 "b":2}"#)
        }
    }
}

@Suite struct JSONValueDecoderTests {
    struct Item: Codable, Equatable {
        var text: String
        var tags: [String]?
        var importance: Double?
        var count: Int?
        var attributes: [String: JSONValue]?
        var nested: [[Int8]]?
        var flag: Bool?
        var any: JSONValue?
    }

    struct Params: Codable, Equatable {
        var namespace: String
        var items: [Item]
        var k: Int?
    }

    @Test func decodesWhatJSONDecoderDecodes() throws {
        let text = #"""
            {"namespace":"n","k":5,"items":[{"text":"a","tags":["x","y"],"importance":1,"count":3.0,
             "attributes":{"p":[1,"q",null],"r":{"s":2.5}},"nested":[[1,-2],[]],"flag":false,"any":null},
             {"text":"b","any":{"z":1}}]}
            """#
        let expected = try JSONDecoder().decode(Params.self, from: Data(text.utf8))
        #expect(try JSONValueDecoder().decode(Params.self, from: JSONReader.parse(text)) == expected)
    }

    /// Errors keep JSONDecoder's kind and coding path (which become the `field` of a wire error).
    @Test(arguments: [
        (#"{"namespace":"n"}"#, "keyNotFound", "items"),
        (#"{"namespace":1,"items":[]}"#, "typeMismatch", "namespace"),
        (#"{"namespace":null,"items":[]}"#, "valueNotFound", "namespace"),
        (#"{"namespace":"n","items":[{"text":"a"},{"text":7}]}"#, "typeMismatch", "items.Index 1.text"),
        (#"{"namespace":"n","items":[{"text":"a","tags":["x",3]}]}"#, "typeMismatch", "items.Index 0.tags.Index 1"),
        (#"{"namespace":"n","items":{}}"#, "typeMismatch", "items"),
        (#"{"namespace":"n","items":[{"text":"a","nested":[[300]]}]}"#, "dataCorrupted", "items.Index 0.nested.Index 0.Index 0"),
        (#"{"namespace":"n","items":[],"k":"5"}"#, "typeMismatch", "k"),
        (#"{"namespace":"n","items":[{"text":"a","attributes":[1]}]}"#, "typeMismatch", "items.Index 0.attributes"),
        (#"{"namespace":"n","items":[null]}"#, "valueNotFound", "items.Index 0"),
    ])
    func failsAsJSONDecoderFails(_ text: String, _ kind: String, _ path: String) throws {
        func describe(_ error: any Error) -> (String, String) {
            guard let error = error as? DecodingError else { return ("other", "") }
            func joined(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
            switch error {
            case .keyNotFound(let key, let context): return ("keyNotFound", joined(context.codingPath + [key]))
            case .typeMismatch(_, let context): return ("typeMismatch", joined(context.codingPath))
            case .valueNotFound(_, let context): return ("valueNotFound", joined(context.codingPath))
            case .dataCorrupted(let context): return ("dataCorrupted", joined(context.codingPath))
            @unknown default: return ("other", "")
            }
        }
        var ours: (String, String) = ("none", "")
        do { _ = try JSONValueDecoder().decode(Params.self, from: JSONReader.parse(text)) } catch { ours = describe(error) }
        var theirs: (String, String) = ("none", "")
        do { _ = try JSONDecoder().decode(Params.self, from: Data(text.utf8)) } catch { theirs = describe(error) }
        #expect(ours.0 == kind && ours.1 == path)
        if kind != "dataCorrupted" { #expect(theirs.1 == path) }  // JSONDecoder leaves the path out there
    }

    @Test func wholeNumbersDecodeAsIntegersAndFractionsDoNot() throws {
        struct N: Decodable { var n: Int }
        #expect(try JSONValueDecoder().decode(N.self, from: JSONReader.parse(#"{"n":1e2}"#)).n == 100)
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(N.self, from: JSONReader.parse(#"{"n":2.5}"#)) }
    }
}
