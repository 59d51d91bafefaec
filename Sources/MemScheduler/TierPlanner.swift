import MemCube
import MemStore

/// One decided move, with the reason recorded in the event log.
public struct TierMove: Sendable, Hashable {
    public var key: Int64
    public var id: CubeID
    public var namespace: String
    public var from: Tier
    public var to: Tier
    public var reason: String
}

/// A limit on the working tier: how many memories and how many bytes.
public struct Budget: Sendable, Hashable {
    public var count: Int
    public var bytes: Int

    public init(count: Int, bytes: Int) {
        self.count = count
        self.bytes = bytes
    }
}

/// The scheduler's decisions: a pure function of the memories' state, the
/// policy and the time (a manual clock in tests, the tick's clock in memosd).
///
/// - score = heat decayed to now + importanceWeight × importance.
/// - working: the highest-scoring memories with score ≥ `promoteScore`,
///   filled best first within the global budget and each namespace's
///   budget; working memories that no longer make the cut go back to active.
/// - archive: active memories idle for `archiveAfterSeconds` whose score is
///   under `archiveScore`; an archived memory whose score reaches
///   `promoteScore` (it was used) comes back to active.
/// - pinned memories never move.
public struct TierPlanner: Sendable {
    public var heat = Heat()
    public var importanceWeight = 1.0
    public var promoteScore = 2.0
    public var archiveScore = 0.1
    public var archiveAfterSeconds = 30.0 * 86_400
    public var working = Budget(count: 10_000, bytes: 256 << 20)
    public var workingPerNamespace = Budget(count: 2_000, bytes: 64 << 20)

    public init() {}

    /// The memories `plan` can move at `now` (the store reads only those):
    /// planning over them gives the same moves as planning over all.
    public func candidates(now: Timestamp) -> TierCandidates {
        TierCandidates(
            now: now, halfLifeSeconds: heat.halfLifeSeconds, importanceWeight: importanceWeight, promoteScore: promoteScore, archiveScore: archiveScore,
            idleBefore: Timestamp(millis: now.millis - Int64((archiveAfterSeconds * 1000).rounded(.down))))
    }

    public func score(_ entry: TierRecord, now: Timestamp) -> Double {
        heat.decayed(entry.heat, from: entry.lastAccess, to: now) + importanceWeight * entry.importance
    }

    public func plan(_ entries: [TierRecord], now: Timestamp) -> [TierMove] {
        var moves: [TierMove] = []
        let scored = entries.map { (entry: $0, score: score($0, now: now)) }

        // Working tier: pinned working memories first (they count against the budget), then best first.
        var used = Budget(count: 0, bytes: 0)
        var usedBy: [String: Budget] = [:]
        func fits(_ entry: TierRecord) -> Bool {
            let ns = usedBy[entry.namespace] ?? Budget(count: 0, bytes: 0)
            return used.count + 1 <= working.count && used.bytes + entry.bytes <= working.bytes
                && ns.count + 1 <= workingPerNamespace.count && ns.bytes + entry.bytes <= workingPerNamespace.bytes
        }
        func take(_ entry: TierRecord) {
            used.count += 1
            used.bytes += entry.bytes
            usedBy[entry.namespace, default: Budget(count: 0, bytes: 0)].count += 1
            usedBy[entry.namespace, default: Budget(count: 0, bytes: 0)].bytes += entry.bytes
        }
        for (entry, _) in scored where entry.pinned && entry.tier == .working { take(entry) }
        let candidates = scored.filter { !$0.entry.pinned && $0.entry.tier != .archive }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry.key < $1.entry.key }
        var chosen = Set<Int64>()
        for (entry, score) in candidates where score >= promoteScore && fits(entry) {
            take(entry)
            chosen.insert(entry.key)
        }
        for (entry, score) in candidates {
            if chosen.contains(entry.key), entry.tier != .working {
                moves.append(TierMove(key: entry.key, id: entry.id, namespace: entry.namespace, from: entry.tier, to: .working,
                                      reason: "hot: score \(Self.format(score)) ≥ \(Self.format(promoteScore))"))
            } else if !chosen.contains(entry.key), entry.tier == .working {
                let why = score < promoteScore
                    ? "cooled: score \(Self.format(score)) < \(Self.format(promoteScore))"
                    : "over the working budget (hotter memories took it)"
                moves.append(TierMove(key: entry.key, id: entry.id, namespace: entry.namespace, from: .working, to: .active, reason: why))
            }
        }

        // Archive: long idle and cold; back when used again.
        for (entry, score) in scored where !entry.pinned {
            let idleSince = entry.lastAccess ?? entry.createdAt
            let idle = Double(now.millis - idleSince.millis) / 1000
            if entry.tier == .active, !chosen.contains(entry.key), idle >= archiveAfterSeconds, score < archiveScore {
                moves.append(TierMove(key: entry.key, id: entry.id, namespace: entry.namespace, from: .active, to: .archive,
                                      reason: "idle \(Int(idle / 86_400)) days, score \(Self.format(score)) < \(Self.format(archiveScore))"))
            } else if entry.tier == .archive, score >= promoteScore {
                moves.append(TierMove(key: entry.key, id: entry.id, namespace: entry.namespace, from: .archive, to: .active,
                                      reason: "used again: score \(Self.format(score)) ≥ \(Self.format(promoteScore))"))
            }
        }
        return moves
    }

    static func format(_ x: Double) -> String {
        let scaled = (x * 100).rounded() / 100
        return String(scaled)
    }
}
