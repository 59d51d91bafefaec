import Testing
import MemCube
import MemStore
@testable import MemScheduler

/// The planner under a manual clock: days pass by changing `now`.
@Suite struct TierPlannerTests {
    let day: Int64 = 86_400_000
    let start = Timestamp(millis: 1_000 * 86_400_000)

    func entry(
        _ key: Int64, _ tier: Tier = .active, heat: Double = 0, lastAccess: Timestamp? = nil, importance: Double = 0,
        pinned: Bool = false, bytes: Int = 1_000, namespace: String = "ns"
    ) -> TierRecord {
        TierRecord(key: key, namespace: namespace, id: .generate(at: key), tier: tier, heat: heat, lastAccess: lastAccess ?? start,
                  createdAt: Timestamp(millis: start.millis - 60 * day), importance: importance, pinned: pinned, bytes: bytes)
    }

    func moves(_ planner: TierPlanner, _ entries: [TierRecord], at now: Timestamp) -> [Int64: Tier] {
        Dictionary(uniqueKeysWithValues: planner.plan(entries, now: now).map { ($0.key, $0.to) })
    }

    @Test func hotMemoriesEnterTheWorkingTierAndLeaveWhenTheyCool() {
        var planner = TierPlanner()
        planner.heat = Heat(halfLifeSeconds: 86_400)
        let hot = entry(1, heat: 8)
        #expect(moves(planner, [hot, entry(2, heat: 0.5)], at: start) == [1: .working])
        // Three half-lives later its heat is 1: under the promote score of 2.
        var working = hot
        working.tier = .working
        let later = Timestamp(millis: start.millis + 3 * day)
        let plan = planner.plan([working], now: later)
        #expect(plan.map(\.to) == [.active])
        #expect(plan[0].reason.hasPrefix("cooled"))
    }

    @Test func theBudgetKeepsTheHottestAndCountsPinnedOnes() {
        var planner = TierPlanner()
        planner.working = Budget(count: 2, bytes: 10_000)
        let entries = [entry(1, heat: 5), entry(2, heat: 9), entry(3, heat: 7), entry(4, .working, heat: 3)]
        #expect(moves(planner, entries, at: start) == [2: .working, 3: .working, 4: .active])
        #expect(planner.plan(entries, now: start).first { $0.key == 4 }?.reason == "over the working budget (hotter memories took it)")
        // A pinned working memory holds its place and uses budget.
        let pinned = entry(5, .working, heat: 0, pinned: true)
        #expect(moves(planner, entries + [pinned], at: start) == [2: .working, 4: .active])
        // Bytes count too: a large hot memory does not fit.
        #expect(moves(planner, [entry(6, heat: 50, bytes: 20_000), entry(7, heat: 3)], at: start) == [7: .working])
        // And each namespace has its own share.
        planner.workingPerNamespace = Budget(count: 1, bytes: 10_000)
        #expect(moves(planner, [entry(8, heat: 9), entry(9, heat: 8), entry(10, heat: 7, namespace: "other")], at: start)
            == [8: .working, 10: .working])
    }

    @Test func idleColdMemoriesAreArchivedAndComeBackWhenUsed() {
        let planner = TierPlanner()
        let idle = entry(1, heat: 0.01, lastAccess: Timestamp(millis: start.millis - 40 * day))
        let recent = entry(2, heat: 0.01, lastAccess: Timestamp(millis: start.millis - 2 * day))
        let important = entry(3, heat: 0, lastAccess: Timestamp(millis: start.millis - 40 * day), importance: 0.9)
        let pinned = entry(4, heat: 0, lastAccess: Timestamp(millis: start.millis - 400 * day), pinned: true)
        #expect(moves(planner, [idle, recent, important, pinned], at: start) == [1: .archive])
        var archived = idle
        archived.tier = .archive
        archived.heat = 3
        archived.lastAccess = start
        #expect(moves(planner, [archived], at: start) == [1: .active])
    }
}
