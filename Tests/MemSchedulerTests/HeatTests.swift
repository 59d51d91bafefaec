import Synchronization
import Testing
import MemCube
import MemStore
import MemTestSupport
@testable import MemScheduler

@Suite struct HeatTests {
    let heat = Heat(halfLifeSeconds: 100)

    @Test func halvesEveryHalfLife() {
        let t0 = Timestamp(millis: 0)
        #expect(abs(heat.decayed(8, from: t0, to: Timestamp(millis: 100_000)) - 4) < 1e-9)
        #expect(abs(heat.decayed(8, from: t0, to: Timestamp(millis: 300_000)) - 1) < 1e-9)
        #expect(heat.decayed(8, from: nil, to: t0) == 8)
        #expect(heat.decayed(8, from: Timestamp(millis: 5), to: t0) == 8)  // a clock step back never heats up
    }

    @Test func eachAccessAddsOne() {
        let t0 = Timestamp(millis: 0)
        #expect(heat.updated(0, last: nil, hits: 3, at: t0) == 3)
        #expect(abs(heat.updated(2, last: t0, hits: 1, at: Timestamp(millis: 100_000)) - 2) < 1e-9)
    }
}
