import MemCube
import MemStore
import Synchronization

/// Runs the `TierPlanner` over the store: one `tick` reads the heat,
/// importance, size and pin of the memories it could move (`TierCandidates`:
/// the working tier, the hot, the long idle), decides the moves and applies
/// them (each recorded with its reason in the event log). Moves change
/// only the memory's tier: nothing is rewritten or lost, and recall keeps
/// running meanwhile.
public final class TierScheduler: Sendable {
    public let store: any CubeStore
    public let planner: TierPlanner
    private let lastTick = Mutex<Timestamp?>(nil)

    public init(store: any CubeStore, planner: TierPlanner = TierPlanner()) {
        self.store = store
        self.planner = planner
    }

    public var lastTickAt: Timestamp? { lastTick.withLock { $0 } }

    /// Loads the working tier into RAM (at start).
    public func loadWorkingSet() throws -> Int {
        let keys = try store.tierRecords().filter { $0.tier == .working }.map(\.key)
        try store.setResident(keys, true)
        return keys.count
    }

    /// Plans and applies one round of moves at `now`; returns those applied.
    @discardableResult
    public func tick(now: Timestamp) throws -> [TierMove] {
        let moves = planner.plan(try store.tierRecords(planner.candidates(now: now)), now: now)
        let applied = try store.applyTierChanges(
            moves.map { TierChange(key: $0.key, from: $0.from, to: $0.to, reason: $0.reason) }, at: now) { _ in }
        lastTick.withLock { $0 = now }
        try store.setResident(applied.filter { $0.to == .working }.map(\.key), true)
        let done = Set(applied.map(\.key))
        return moves.filter { done.contains($0.key) }
    }
}
