import Synchronization
import Testing
import MemCube
import MemStore
import MemTestSupport
@testable import MemScheduler

@Suite struct AccessLogTests {
    @Test func batchesAccessesAndFlushesThemOnce() throws {
        let t = try TempStore()
        let new = makeCube("often recalled")
        let stored = try t.store.add([new]) { _ in }
        let log = AccessLog()
        let at = Timestamp(millis: 1_500_000)
        log.record(keys: [stored[0].key, stored[0].key], at: at)
        log.record(keys: [stored[0].key], at: at)
        #expect(log.pendingCount == 1)
        try log.flush(to: t.store, heat: Heat())
        #expect(log.pendingCount == 0)
        let cube = try t.store.get(namespace: "ns", id: new.cube.id, now: at).cube
        #expect(cube.access.count == 3)
        #expect(cube.access.lastAccess == at)
        #expect(cube.access.heat == 3)
        try log.flush(to: t.store, heat: Heat())  // nothing pending: no write
        #expect(try t.store.get(namespace: "ns", id: new.cube.id, now: at).cube.access.count == 3)
    }
}

@Suite struct AccessPressureTests {
    @Test func crossingTheThresholdSignalsOnce() {
        let calls = Mutex(0)
        let log = AccessLog(pressureThreshold: 3) { calls.withLock { $0 += 1 } }
        log.record(keys: [1, 2], at: Timestamp(millis: 0))
        #expect(calls.withLock { $0 } == 0)
        log.record(keys: [3, 4], at: Timestamp(millis: 0))
        log.record(keys: [5], at: Timestamp(millis: 0))
        #expect(calls.withLock { $0 } == 1)
    }
}
