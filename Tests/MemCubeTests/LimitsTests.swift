import Testing
@testable import MemCube

@Suite struct LimitsTests {
    let limits = Limits()

    @Test func namesAllowSafeCharactersOnly() throws {
        try limits.checkName("team-a/user_1@host:dev.x", field: "namespace")
        #expect(throws: ValidationError.self) { try limits.checkName("", field: "namespace") }
        #expect(throws: ValidationError.self) { try limits.checkName("a b", field: "namespace") }
        #expect(throws: ValidationError.self) { try limits.checkName(String(repeating: "a", count: 129), field: "namespace") }
    }

    @Test func textAndTagsAndImportanceAreBounded() {
        #expect(throws: ValidationError(field: "text", "must not be empty")) { try limits.checkText("  \n", field: "text") }
        #expect(throws: ValidationError.self) { try limits.checkText(String(repeating: "x", count: 65 * 1024), field: "text") }
        #expect(throws: ValidationError(field: "tags[1]", "must not be empty")) { try limits.checkTags(["a", ""], field: "tags") }
        #expect(throws: ValidationError.self) { try limits.checkImportance(1.5, field: "importance") }
        #expect(throws: ValidationError.self) { try limits.checkImportance(.nan, field: "importance") }
    }
}
