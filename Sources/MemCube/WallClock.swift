import Synchronization

/// Where the time of day comes from: the system's real-time clock in memosd,
/// a clock the test moves in tests (`ManualClock`).
///
/// Everything that stamps, expires, decays or schedules memories reads the
/// service's clock — never `Timestamp.now()` directly — so that TTLs, heat,
/// archiving and consolidation can be tested by moving time instead of
/// sleeping. (Durations measured for logs and timings use the monotonic
/// clock and are not part of this.)
public struct WallClock: Sendable {
    private let read: @Sendable () -> Timestamp

    public init(_ read: @escaping @Sendable () -> Timestamp) { self.read = read }

    /// The system's real-time clock.
    public static let system = WallClock { Timestamp.now() }

    public func now() -> Timestamp { read() }
}

/// A clock that stands still until it is moved. Thread-safe.
public final class ManualClock: Sendable {
    private let millis: Atomic<Int64>

    public init(_ start: Timestamp = Timestamp(millis: 1_700_000_000_000)) {
        millis = Atomic(start.millis)
    }

    public var now: Timestamp { Timestamp(millis: millis.load(ordering: .sequentiallyConsistent)) }

    /// Moves the clock forward (or back, for a negative amount).
    public func advance(seconds: Double) {
        millis.add(Int64((seconds * 1000).rounded()), ordering: .sequentiallyConsistent)
    }

    /// A `WallClock` reading this one.
    public var clock: WallClock { WallClock { [self] in now } }
}
