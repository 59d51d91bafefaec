import MemCube
import Testing
@testable import Retrieval

@Suite struct TimeExpressionsTests {
    /// Wednesday 2023-06-14, 15:00 UTC.
    let reference = Timestamp(iso8601: "2023-06-14T15:00:00Z")!

    func window(_ query: String) -> (String, String)? {
        TimeExpressions.window(in: query, reference: reference).map { (String($0.start.iso8601.prefix(10)), String($0.end.iso8601.prefix(10))) }
    }

    @Test(arguments: [
        ("what did I eat yesterday?", "2023-06-13", "2023-06-14"),
        ("plans for today", "2023-06-14", "2023-06-15"),
        ("what happened last week", "2023-06-05", "2023-06-12"),
        ("meetings this week", "2023-06-12", "2023-06-19"),
        ("trips last month", "2023-05-01", "2023-06-01"),
        ("books I read last year", "2022-01-01", "2023-01-01"),
        ("where did we go in May 2022", "2022-05-01", "2022-06-01"),
        ("what happened in May", "2023-05-01", "2023-06-01"),
        ("what happened in August", "2022-08-01", "2022-09-01"),
        ("the concert on 7 May 2023", "2023-05-07", "2023-05-08"),
        ("who did I meet in 2021", "2021-01-01", "2022-01-01"),
        ("what did we do last Friday", "2023-06-09", "2023-06-10"),
        ("three days ago", "2023-06-10", "2023-06-13"),
        ("where did we go last summer", "2022-06-01", "2022-09-01"),
        ("what did we do in summer 2022", "2022-06-01", "2022-09-01"),
        ("trips in the summer of 2021", "2021-06-01", "2021-09-01"),
        ("spring 2023 plans", "2023-03-01", "2023-06-01"),
        ("skiing in the winter", "2022-12-01", "2023-03-01"),
        ("what happened during the spring", "2023-03-01", "2023-06-01"),
    ] as [(String, String, String)])
    func understands(query: String, start: String, end: String) throws {
        let w = try #require(window(query))
        #expect(w.0 == start, "\(query)")
        #expect(w.1 == end, "\(query)")
    }

    @Test func aSeasonNeedsAYearOrAPreposition() {
        #expect(window("summer is my favourite season") == nil)
    }

    @Test func twoYearsAgoIsAroundThatDate() throws {
        let w = try #require(TimeExpressions.window(in: "what did I do two years ago", reference: reference))
        #expect(w.contains(Timestamp(iso8601: "2021-06-14")!))
        #expect(!w.contains(Timestamp(iso8601: "2022-06-14")!))
    }

    @Test(arguments: ["she may come", "what is my favourite food", "week planner app", "I ate 2021 grapes"])
    func noPhraseNoWindow(query: String) {
        #expect(TimeExpressions.window(in: query, reference: reference) == nil)
    }

    @Test func closenessFallsOffOutside() {
        let w = TimeWindow(start: Timestamp(iso8601: "2023-06-01")!, end: Timestamp(iso8601: "2023-06-02")!, phrase: "x")
        #expect(w.closeness(Timestamp(iso8601: "2023-06-01T12:00:00Z")!) == 1)
        #expect(abs(w.closeness(Timestamp(iso8601: "2023-06-03")!) - 0.5) < 1e-9)
    }
}
