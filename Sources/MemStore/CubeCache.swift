import MemCube
import Synchronization

/// Active cubes recently loaded for recall, kept in RAM within a byte budget
/// so that loading a recall's hits does not go back to SQLite each time.
///
/// The store fills it on reads and drops entries when a write commits that
/// changes them. A read that raced with such a write does not fill it: each
/// invalidation moves an epoch on, and a fill only lands if the epoch it saw
/// before reading is still current. Thread-safe.
final class CubeCache: Sendable {
    let budgetBytes: Int
    private let state: Mutex<State>

    struct Entry {
        var cube: MemCube
        var bytes: Int
        var lastUse: UInt64
    }

    struct State {
        var entries: [Int64: Entry] = [:]
        /// Bytes of the entries that count against the budget (not resident).
        var bytes = 0
        /// The working tier's memories: kept whatever the budget (the
        /// scheduler bounds them), refilled on the next read after a write.
        var resident: Set<Int64> = []
        var residentBytes = 0
        var clock: UInt64 = 0
        var epoch: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
        state = Mutex(State())
    }

    var epoch: UInt64 { state.withLock { $0.epoch } }

    /// The cached cubes among `keys` and the keys still to load.
    func lookup(_ keys: [Int64]) -> (found: [Int64: MemCube], missing: [Int64]) {
        state.withLock { state in
            var found: [Int64: MemCube] = [:]
            var missing: [Int64] = []
            state.clock += 1
            for key in keys {
                if state.entries[key] != nil {
                    state.entries[key]!.lastUse = state.clock
                    found[key] = state.entries[key]!.cube
                } else {
                    missing.append(key)
                }
            }
            state.hits += found.count
            state.misses += missing.count
            return (found, missing)
        }
    }

    /// Adds freshly loaded cubes, unless a write invalidated anything since `epoch`.
    func fill(_ cubes: [Int64: MemCube], epoch: UInt64) {
        guard budgetBytes > 0, !cubes.isEmpty else { return }
        state.withLock { state in
            guard state.epoch == epoch else { return }
            state.clock += 1
            for (key, cube) in cubes {
                let bytes = Self.size(of: cube)
                let resident = state.resident.contains(key)
                if let old = state.entries.updateValue(Entry(cube: cube, bytes: bytes, lastUse: state.clock), forKey: key) {
                    if resident { state.residentBytes -= old.bytes } else { state.bytes -= old.bytes }
                }
                if resident { state.residentBytes += bytes } else { state.bytes += bytes }
            }
            guard state.bytes > budgetBytes else { return }
            // Over budget: drop the least recently used quarter (amortizes the sort).
            let victims = state.entries.filter { !state.resident.contains($0.key) }.sorted { $0.value.lastUse < $1.value.lastUse }
            var target = budgetBytes * 3 / 4
            target = min(target, state.bytes)
            for (key, entry) in victims where state.bytes > target {
                state.entries[key] = nil
                state.bytes -= entry.bytes
            }
        }
    }

    func invalidate(_ keys: some Sequence<Int64>) {
        state.withLock { state in
            state.epoch += 1
            for key in keys {
                guard let old = state.entries.removeValue(forKey: key) else { continue }
                if state.resident.contains(key) { state.residentBytes -= old.bytes } else { state.bytes -= old.bytes }
            }
        }
    }

    /// Marks keys resident (never evicted) or not; an entry leaving
    /// residence joins the LRU part (and may be evicted at the next fill).
    func setResident(_ keys: [Int64], _ resident: Bool) {
        state.withLock { state in
            for key in keys {
                let was = state.resident.contains(key)
                guard was != resident else { continue }
                if resident { state.resident.insert(key) } else { state.resident.remove(key) }
                guard let entry = state.entries[key] else { continue }
                if resident {
                    state.bytes -= entry.bytes
                    state.residentBytes += entry.bytes
                } else {
                    state.residentBytes -= entry.bytes
                    state.bytes += entry.bytes
                }
            }
        }
    }

    var usage: (entries: Int, bytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.bytes, $0.hits, $0.misses) }
    }

    /// The resident (working tier) part: memories marked, those in RAM, and their bytes.
    var residentUsage: (marked: Int, loaded: Int, bytes: Int) {
        state.withLock { state in
            (state.resident.count, state.resident.filter { state.entries[$0] != nil }.count, state.residentBytes)
        }
    }

    /// A cube's approximate footprint: its strings plus fixed overhead.
    static func size(of cube: MemCube) -> Int {
        var bytes = 400 + (cube.text?.utf8.count ?? 0) + cube.namespace.utf8.count
        bytes += (cube.agent?.utf8.count ?? 0) + (cube.session?.utf8.count ?? 0)
        bytes += cube.tags.reduce(0) { $0 + $1.utf8.count + 16 }
        if !cube.attributes.isEmpty { bytes += 64 * cube.attributes.count }
        return bytes
    }
}
