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
