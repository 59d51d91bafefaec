import MemCube
import MemStore
import Synchronization

/// Collects accesses (recall hits, gets) in memory so that reads never wait
/// for a write; the scheduler's tick flushes them to the store in one
/// transaction.
public final class AccessLog: Sendable {
    private let pending = Mutex<[Int64: AccessEvent]>([:])
    /// Called (once per crossing) when this many memories wait to be flushed:
    /// memosd then runs its tick early ("on pressure").
    private let pressureThreshold: Int
    private let onPressure: @Sendable () -> Void

    public init(pressureThreshold: Int = 10_000, onPressure: @escaping @Sendable () -> Void = {}) {
        self.pressureThreshold = pressureThreshold
        self.onPressure = onPressure
    }

    public func record(keys: [Int64], at time: Timestamp) {
        guard !keys.isEmpty else { return }
        let crossed = pending.withLock { pending -> Bool in
            let before = pending.count
            for key in keys {
                if var event = pending[key] {
                    event.hits += 1
                    event.at = max(event.at, time)
                    pending[key] = event
                } else {
                    pending[key] = AccessEvent(key: key, hits: 1, at: time)
                }
            }
            return before < pressureThreshold && pending.count >= pressureThreshold
        }
        if crossed { onPressure() }
    }

    public var pendingCount: Int { pending.withLock { $0.count } }

    /// Writes the collected accesses; on failure they are kept for the next try.
    public func flush(to store: any CubeStore, heat: Heat) throws {
        let events = pending.withLock { pending in
            let events = Array(pending.values)
            pending.removeAll()
            return events
        }
        guard !events.isEmpty else { return }
        do {
            try store.recordAccess(events.sorted { $0.key < $1.key }) { old, last, hits, at in
                heat.updated(old, last: last, hits: hits, at: at)
            }
        } catch {
            record(back: events)
            throw error
        }
    }

    private func record(back events: [AccessEvent]) {
        pending.withLock { pending in
            for event in events {
                if var existing = pending[event.key] {
                    existing.hits += event.hits
                    existing.at = max(existing.at, event.at)
                    pending[event.key] = existing
                } else {
                    pending[event.key] = event
                }
            }
        }
    }
}
