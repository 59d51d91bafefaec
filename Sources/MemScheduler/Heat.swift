#if canImport(Glibc)
import Glibc
#endif
import MemCube

/// Heat: an exponentially decayed access count.
///
/// Each access adds 1; between accesses heat halves every `halfLife`
/// seconds. The scheduler ranks cubes by heat (plus importance) to decide
/// what stays hot.
public struct Heat: Sendable {
    public var halfLifeSeconds: Double

    public init(halfLifeSeconds: Double = 7 * 86_400) {
        precondition(halfLifeSeconds > 0)
        self.halfLifeSeconds = halfLifeSeconds
    }

    /// `heat` (as of `last`) decayed to `now`.
    public func decayed(_ heat: Double, from last: Timestamp?, to now: Timestamp) -> Double {
        guard let last, now > last else { return heat }
        let elapsed = Double(now.millis - last.millis) / 1000
        return heat * exp2(-elapsed / halfLifeSeconds)
    }

    /// Heat after `hits` more accesses at `now`.
    public func updated(_ heat: Double, last: Timestamp?, hits: Int, at now: Timestamp) -> Double {
        decayed(heat, from: last, to: now) + Double(hits)
    }
}
