import Testing
@testable import MemCube

@Suite struct TimestampTests {
    @Test func formatsAndParsesRoundTrip() {
        let t = Timestamp(millis: 1_683_554_160_123)
        #expect(t.iso8601 == "2023-05-08T13:56:00.123Z")
        #expect(Timestamp(iso8601: t.iso8601) == t)
    }

    @Test(arguments: [
        ("2023-05-08", Int64(1_683_504_000_000)),
        ("2023-05-08T13:56:00Z", 1_683_554_160_000),
        ("2023-05-08T13:56Z", 1_683_554_160_000),
        ("2023-05-08T15:56:00+02:00", 1_683_554_160_000),
        ("2023-05-08T08:56:00-0500", 1_683_554_160_000),
        ("2023-05-08 13:56:00.5Z", 1_683_554_160_500),
        ("1969-12-31T23:59:59Z", -1000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
    ])
    func parses(text: String, millis: Int64) {
        #expect(Timestamp(iso8601: text)?.millis == millis)
    }

    @Test(arguments: ["", "2023", "2023-13-01", "2023-02-30", "2023-05-08T25:00Z", "2023-05-08T13:56:00Zjunk", "yesterday", "2023-05-08T13:56:00."])
    func rejects(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func civilDaysAgreeOverFourCenturies() {
        var day = Timestamp.days(fromCivil: 1900, 1, 1)
        for _ in 0..<(400 * 366) {
            let (y, m, d) = Timestamp.civil(fromDays: day)
            #expect(Timestamp.days(fromCivil: y, m, d) == day)
            day += 1
        }
    }
}

@Suite struct CubeIDTests {
    @Test func generatedIDsAreValidAndSortByTime() {
        let a = CubeID.generate(at: 1_000)
        let b = CubeID.generate(at: 2_000)
        #expect(a.rawValue.count == 26)
        #expect(a < b)
        #expect(CubeID(a.rawValue) == a)
        #expect(CubeID(a.rawValue.lowercased()) == a)
    }

    @Test func idsAreUnique() {
        let ids = (0..<10_000).map { _ in CubeID.generate(at: 5) }
        #expect(Set(ids).count == ids.count)
    }

    @Test(arguments: ["", "short", "01M80CGJ2M0RH27A1HHR8XBA6I", "81M80CGJ2M0RH27A1HHR8XBA69", "01M80CGJ2M0RH27A1HHR8XBA690"])
    func rejectsMalformed(text: String) {
        #expect(CubeID(text) == nil)
    }
}

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
