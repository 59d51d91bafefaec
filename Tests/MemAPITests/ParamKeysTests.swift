import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
import MemTestSupport

/// A method's param keys are declared once, in its `CodingKeys`; the JSON
/// Schema must list exactly those.
@Suite struct ParamKeysTests {
    @Test func everyMethodsKeysAreItsSchemasProperties() throws {
        let schema = try JSONDecoder().decode(JSONValue.self, from: Fixtures.data(atRelativePath: "schemas/memos.schema.json"))
        let methods = AllMethods.paramKeys
        #expect(methods.count == AllMethods.types.count)
        for (name, keys) in methods.sorted(by: { $0.key < $1.key }) {
            let params = try #require(schema["$defs"]?["\(name).params"], "no schema for \(name).params")
            let properties = Set(params["properties"]?.objectValue?.keys.map { $0 } ?? [])
            #expect(properties == keys, "\(name): schema \(properties.sorted()), CodingKeys \(keys.sorted())")
            #expect(params["additionalProperties"] == false, "\(name).params must refuse unknown keys")
        }
    }

    @Test func keysComeFromCodingKeys() {
        #expect(MemoryRecall.paramKeys.contains("reference_time") && !MemoryRecall.paramKeys.contains("referenceTime"))
        #expect(MemoryAdd.paramKeys.isSuperset(of: ["namespace", "items", "text", "ttl_seconds", "derived_from"]))
        #expect(SchedulerComplete.paramKeys == ["job_id", "id"] && SchedulerFail.paramKeys == ["job_id", "error"])
        #expect(SystemHealth.paramKeys.isEmpty)
    }
}
