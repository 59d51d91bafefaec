import Testing
import MemCube
import MemStore
import MemTestSupport
@testable import MemScheduler

/// A tick reads only the memories it could move; planning over them must
/// give exactly the moves planning over every memory gives.
@Suite struct TierCandidatesTests {
    let day: Int64 = 86_400_000

    @Test(arguments: [1 as UInt64, 2, 3])
    func planningOverCandidatesGivesTheSameMoves(seed: UInt64) throws {
        let t = try TempStore()
        var rng = SplitMix64(seed: seed)
        var cubes: [NewCube] = []
        for i in 0..<400 {
            var new = makeCube("memory \(i)", namespace: i % 3 == 0 ? "a" : "b", at: Int64.random(in: 0...(60 * day), using: &rng))
            new.cube.importance = [0, 0.05, 0.5, 1.0, 0.95][Int.random(in: 0..<5, using: &rng)]
            cubes.append(new)
        }
        let stored = try t.store.add(cubes) { _ in }
        // Heat from a few hits to a lot, at times from long ago to recently.
        let heats = Dictionary(uniqueKeysWithValues: stored.map { ($0.key, Double.random(in: 0...6, using: &rng)) })
        let events = stored.filter { _ in Bool.random(using: &rng) }.map {
            AccessEvent(key: $0.key, hits: 1, at: Timestamp(millis: Int64.random(in: (30 * day)...(90 * day), using: &rng)))
        }
        for event in events {  // one at a time: the heat function is told no key
            try t.store.recordAccess([AccessEvent(key: event.key, hits: 0, at: event.at)]) { _, _, _, _ in heats[event.key]! }
        }
        let tiers: [TierChange] = stored.compactMap { entry in
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: TierChange(key: entry.key, from: .active, to: .working, reason: "test")
            case 1: TierChange(key: entry.key, from: .active, to: .archive, reason: "test")
            default: nil
            }
        }
        try t.store.applyTierChanges(tiers, at: Timestamp(millis: 0))
        for entry in stored where Int.random(in: 0..<20, using: &rng) == 0 {
            _ = try t.store.setPinned(namespace: entry.cube.namespace, id: entry.cube.id, pinned: true)
        }

        var planner = TierPlanner()
        planner.working = Budget(count: 40, bytes: 1 << 30)
        planner.workingPerNamespace = Budget(count: 25, bytes: 1 << 30)
        let all = try t.store.tierRecords()
        for now in [60 * day, 91 * day, 120 * day, 400 * day].map(Timestamp.init(millis:)) {
            let candidates = try t.store.tierRecords(planner.candidates(now: now))
            #expect(candidates.count < all.count)
            let expected = planner.plan(all, now: now)
            #expect(!expected.isEmpty)
            #expect(Set(planner.plan(candidates, now: now)) == Set(expected))
        }
    }
}
