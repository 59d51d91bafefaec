import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore

@Suite struct CubeCacheTests {
    let now = Timestamp(millis: 2_000_000)

    @Test func recallLoadsComeFromRAMUntilAWriteChangesThem() throws {
        let t = try TempStore()
        let stored = try t.store.add([makeCube("likes tea"), makeCube("likes cake")]) { _ in }
        let keys = stored.map(\.key)
        #expect(try t.store.cubes(namespace: "ns", keys: keys, now: now).count == 2)
        #expect(t.store.cache.usage.entries == 2)
        #expect(try t.store.cubes(namespace: "ns", keys: keys, now: now)[keys[0]]?.text == "likes tea")
        #expect(t.store.cache.usage.hits == 2)
        // Another namespace never sees them, cached or not.
        #expect(try t.store.cubes(namespace: "other", keys: keys, now: now).isEmpty)
        // An update is seen at once.
        var change = CubeChange()
        change.text = "likes coffee"
        _ = try t.store.update(
            namespace: "ns", id: stored[0].cube.id, change: change, expectedVersion: nil,
            provenance: Provenance(operation: .update), at: now) { _ in }
        #expect(try t.store.cubes(namespace: "ns", keys: keys, now: now)[keys[0]]?.text == "likes coffee")
        // A forgotten one is gone at once.
        _ = try t.store.forget(namespace: "ns", ids: [stored[1].cube.id], purge: false, provenance: Provenance(operation: .forget), at: now) { _ in }
        #expect(try t.store.cubes(namespace: "ns", keys: keys, now: now).keys.sorted() == [keys[0]])
    }

    @Test func aFillRacingAWriteIsDropped() {
        let cache = CubeCache(budgetBytes: 1 << 20)
        let epoch = cache.epoch
        cache.invalidate([7])
        cache.fill([7: makeCube("stale").cube], epoch: epoch)
        #expect(cache.usage.entries == 0)
    }

    @Test func staysWithinItsBudget() {
        let cache = CubeCache(budgetBytes: 50_000)
        for i in 0..<1000 {
            cache.fill([Int64(i): makeCube(String(repeating: "x", count: 100)).cube], epoch: cache.epoch)
        }
        #expect(cache.usage.bytes <= 50_000)
        #expect(cache.usage.entries > 50)
        // The most recent entries are the ones kept.
        #expect(cache.lookup([999]).found.count == 1)
    }

    @Test func residentEntriesOutliveTheBudget() {
        let cache = CubeCache(budgetBytes: 5_000)
        cache.setResident([1, 2], true)
        cache.fill([1: makeCube("one").cube, 2: makeCube("two").cube], epoch: cache.epoch)
        for i in 10..<200 { cache.fill([Int64(i): makeCube(String(repeating: "x", count: 100)).cube], epoch: cache.epoch) }
        #expect(cache.lookup([1, 2]).found.count == 2)
        #expect(cache.usage.bytes <= 5_000 && cache.residentUsage.loaded == 2)
        // Invalidated, a resident entry is gone until the next read, but stays marked.
        cache.invalidate([1])
        #expect(cache.residentUsage == (marked: 2, loaded: 1, bytes: cache.residentUsage.bytes))
        cache.setResident([2], false)
        #expect(cache.residentUsage.marked == 1)
    }
}
