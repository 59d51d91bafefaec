import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
import MemStore
import MemTestSupport
@testable import MemServer

/// A JSON file below the package root (`schemas/...`).
func loadJSON(_ relative: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Fixtures.data(atRelativePath: relative))
}

/// The recorded fixtures: fails the test (never passes vacuously) unless they are a non-empty array.
func recordedFixtures() throws -> [JSONValue] {
    let fixtures = try #require(try loadJSON("schemas/fixtures.json").arrayValue, "schemas/fixtures.json is not an array")
    try #require(!fixtures.isEmpty, "schemas/fixtures.json has no fixtures")
    return fixtures
}

@Suite struct SchemaTests {
    let schema: JSONValue
    let validator: SchemaValidator

    init() throws {
        schema = try loadJSON("schemas/memos.schema.json")
        validator = SchemaValidator(root: schema)
    }

    func check(_ value: JSONValue, against name: String) {
        let errors = validator.errors(value, ["$ref": .string("#/$defs/\(name)")])
        #expect(errors.isEmpty, "\(name): \(errors)")
    }

    @Test func errorCodesAgreeInCodeSchemaAndDocs() throws {
        let error = schema["$defs"]?["error"]?["properties"]
        let codes = Set(error?["code"]?["enum"]?.arrayValue?.compactMap(\.intValue) ?? [])
        let names = Set(error?["data"]?["properties"]?["name"]?["enum"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(codes == Set(ErrorCode.allCases.map(\.rawValue)))
        #expect(names == Set(ErrorCode.allCases.map(\.name)))
        let docs = String(decoding: try Fixtures.data(atRelativePath: "docs/protocol.md"), as: UTF8.self)
        for code in ErrorCode.allCases {
            #expect(docs.contains("| \(code.rawValue) | \(code.name) |"), "docs/protocol.md lacks \(code.name)")
        }
    }

    @Test func everyMethodHasSchemasAndRecordedFixtures() throws {
        let h = try Harness()
        let fixtures = try recordedFixtures()
        let recorded = Set(fixtures.compactMap { $0["method"]?.stringValue })
        #expect(h.dispatcher.methodNames == AllMethods.names, "the dispatcher serves every method of AllMethods")
        for method in h.dispatcher.methodNames {
            #expect(schema["$defs"]?["\(method).params"] != nil, "no params schema for \(method)")
            #expect(schema["$defs"]?["\(method).result"] != nil, "no result schema for \(method)")
            #expect(recorded.contains(method), "no recorded fixture for \(method)")
        }
    }

    @Test func recordedFixturesMatchTheSchemas() throws {
        let fixtures = try recordedFixtures()
        for fixture in fixtures {
            let method = try #require(fixture["method"]?.stringValue)
            if let result = fixture["response"]?["result"] {
                check(fixture["params"] ?? .null, against: "\(method).params")
                check(result, against: "\(method).result")
            } else {
                check(try #require(fixture["response"]?["error"]), against: "error")
            }
        }
    }

    /// What the daemon answers today, not just what was recorded, fits the schemas.
    @Test func liveResponsesMatchTheSchemas() throws {
        let h = try Harness()
        var calls: [(String, JSONValue)] = [
            ("memory.add", ["namespace": "n", "text": "Caroline moved to Berlin", "tags": ["travel"], "agent": "bot",
                            "session": "s", "occurred_at": "2022-03-01T09:00:00Z", "attributes": ["k": 1], "source": ["type": "chat"]]),
            ("memory.add", ["namespace": "n", "items": [["text": "one", "session": "s"], ["text": "two", "ttl_seconds": 60, "session": "s", "entities": ["Two"]]]]),
        ]
        for (method, params) in calls { check(try h.result(method, params), against: "\(method).result") }
        let id = try #require(try h.result("memory.list", ["namespace": "n", "limit": 1, "filter": ["state": "any"]])["memories"].flatMap {
            if case .array(let list) = $0 { return list.last?["id"] } else { return nil }
        })
        calls = [
            ("memory.recall", ["namespace": "n", "query": "where is Caroline", "explain": true, "weights": ["keyword": 2]]),
            ("memory.update", ["namespace": "n", "id": id, "importance": 0.9]),
            ("memory.get", ["namespace": "n", "id": id]),
            ("memory.get", ["namespace": "n", "id": id, "version": 1]),
            ("memory.history", ["namespace": "n", "id": id]),
            ("memory.list", ["namespace": "n", "limit": 1]),
            ("memory.get", ["namespace": "n", "ids": [id, "01JD3Q6T5V8XKZ2M4N6P8R0S2T"], "filter": ["importance": ["gte": 0.5]]]),
            ("memory.list", ["namespace": "n", "filter": ["or": [["attributes.k": ["in": [1, 2]]], ["not": ["tags": "travel"]]]]]),
            ("memory.recall", ["namespace": "n", "query": "Caroline", "filter": ["attributes": ["k": ["gte": 1]], "since": "2022-01-01T00:00:00Z"]]),
            ("memory.forget", ["namespace": "n", "filter": ["session": "s"], "dry_run": true]),
            ("memory.forget", ["namespace": "n", "ids": [id]]),
            ("system.health", [:]),
            ("system.stats", [:]),
            ("system.reindex", ["wait": true]),
            ("graph.neighbors", ["namespace": "n", "id": id]),
        ]
        for (method, params) in calls {
            check(params, against: "\(method).params")
            check(try h.result(method, params), against: "\(method).result")
        }
        check(try #require(try h.call("memory.get", ["namespace": "n", "id": "nope"])["error"]), against: "error")
    }

    /// The filter schema names exactly the keys the parser reads, and what
    /// one accepts or refuses the other does too.
    @Test func theFilterSchemaAgreesWithTheParser() throws {
        let top = Set(schema["$defs"]?["filter"]?["properties"]?.objectValue?.keys.map { $0 } ?? [])
        #expect(top == FilterParser.allKeys)
        let nested = Set(schema["$defs"]?["filter.nested"]?["properties"]?.objectValue?.keys.map { $0 } ?? [])
        #expect(nested == FilterParser.allKeys.subtracting(["since", "until", "model"]))
        let parser = FilterParser(listOnlyAllowed: true)
        let accepted: [JSONValue] = [
            ["tags": ["a", "b"], "agent": "x", "since": "2024-01-01T00:00:00Z"],
            ["importance": ["gte": 0.7, "lt": 1], "attributes.project": "apollo"],
            ["attributes": ["n": ["gt": 3], "flag": true, "list": ["contains": "x"]]],
            ["and": [["kind": "plaintext"], ["or": [["tier": ["in": ["working", "active"]]], ["not": ["agent": ["exists": true]]]]]]],
            ["created_at": ["gte": "2024-01-01T00:00:00Z"], "valid_to": ["exists": false], "version": ["ne": 1]],
            ["state": "any", "speaker": ["contains": "Car"]], ["state": ["in": ["active", "forgotten"]]],
        ]
        let refused: [JSONValue] = [
            ["bogus": 1], ["importance": ["gte": "high"]], ["and": []], ["and": [["since": "2024-01-01T00:00:00Z"]]],
            ["kind": "video"], ["tags": ["gt": 1]], ["attributes": ["x": ["between": 1]]], ["agent": ["eq": 3]],
            ["importance": [:]], ["attributes": ["x": ["in": []]]], ["created_at": ["gte": "yesterday"]],
        ]
        for filter in accepted {
            #expect(validator.errors(filter, ["$ref": "#/$defs/filter"]).isEmpty, "schema refuses \(filter)")
            #expect(throws: Never.self, "parser refuses \(filter)") { _ = try parser.parse(filter, field: "filter") }
        }
        for filter in refused {
            #expect(!validator.errors(filter, ["$ref": "#/$defs/filter"]).isEmpty, "schema accepts \(filter)")
            #expect(throws: ValidationError.self, "parser accepts \(filter)") { _ = try parser.parse(filter, field: "filter") }
        }
    }

    @Test func theValidatorRejectsWhatTheSchemaForbids() {
        let ref: JSONValue = ["$ref": "#/$defs/memory.recall.params"]
        #expect(validator.errors(["namespace": "n", "query": "q"], ref).isEmpty)
        #expect(!validator.errors(["namespace": "n"], ref).isEmpty)
        #expect(!validator.errors(["namespace": "n", "query": "q", "k": 0], ref).isEmpty)
        #expect(!validator.errors(["namespace": "n", "query": "q", "bogus": 1], ref).isEmpty)
        #expect(!validator.errors(["namespace": "bad space", "query": "q"], ref).isEmpty)
        #expect(!validator.errors(["code": -1, "message": "x"], ["$ref": "#/$defs/error"]).isEmpty)
    }
}
