import Foundation
import MemCube
import MemJSON
import Retrieval

/// Finds duplicates (dedupe) and possible contradictions (supersede) among a
/// namespace's memories, given each one's nearest neighbours by vector.
public struct DuplicateFinder: Sendable {
    /// Cosine at or above which two memories saying the same claim are duplicates.
    public var nearThreshold: Float = 0.92
    /// Cosine at or above which differing negation, numbers or dates mark a possible conflict.
    public var conflictThreshold: Float = 0.8

    public init(nearThreshold: Float = 0.92, conflictThreshold: Float = 0.8) {
        self.nearThreshold = nearThreshold
        self.conflictThreshold = conflictThreshold
    }

    /// Groups of duplicates: first the same normalized text (same agent),
    /// then near duplicates by vector that make the same claim
    /// (`TextFacts.sameClaim`). The oldest member (lowest key) survives.
    public func groups(_ items: [ConsolidationItem], neighbours: (Int64) -> [SimilarItem]) -> [DuplicateGroup] {
        let byKey = Dictionary(items.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        // Units of exact duplicates.
        var unitOf: [Int64: Int] = [:]
        var units: [[Int64]] = []
        var exactUnit: [String: Int] = [:]
        for item in items.sorted(by: { $0.key < $1.key }) {
            let scope = (item.agent ?? "") + "\u{1}" + item.facts.normalized
            if let unit = exactUnit[scope] {
                units[unit].append(item.key)
                unitOf[item.key] = unit
            } else {
                exactUnit[scope] = units.count
                unitOf[item.key] = units.count
                units.append([item.key])
            }
        }
        var taken = [Bool](repeating: false, count: units.count)
        var groups: [DuplicateGroup] = []
        for (u, unit) in units.enumerated() where !taken[u] {
            taken[u] = true
            let leader = byKey[unit[0]]!
            var members = unit
            var joined: [Int] = []
            for (key, score) in neighbours(leader.key) where score >= nearThreshold {
                guard let other = byKey[key], let v = unitOf[key], !taken[v], other.agent == leader.agent,
                      leader.facts.sameClaim(as: other.facts) else { continue }
                joined.append(v)
                taken[v] = true
                members += units[v]
            }
            // The text kept must hold every member's words: drop members it does not cover.
            let bearer = members.max { a, b in
                let (x, y) = (byKey[a]!.facts.stems.count, byKey[b]!.facts.stems.count)
                return x != y ? x < y : a > b
            }!
            for v in joined where !byKey[units[v][0]]!.facts.sameClaim(as: byKey[bearer]!.facts)
                || !byKey[units[v][0]]!.facts.stems.isSubset(of: byKey[bearer]!.facts.stems)
            {
                taken[v] = false
                members.removeAll { unitOf[$0] == v }
            }
            guard members.count > 1 else { continue }
            members.sort()
            groups.append(DuplicateGroup(
                survivor: members[0], others: Array(members.dropFirst()), textFrom: bearer,
                exact: Set(members.map { byKey[$0]!.facts.normalized }).count == 1))
        }
        return groups
    }

    /// Pairs of similar memories (same agent) that differ in negation,
    /// numbers or dates: likely contradictions, for agents to see.
    public func conflicts(_ items: [ConsolidationItem], neighbours: (Int64) -> [SimilarItem]) -> [PossibleConflict] {
        let byKey = Dictionary(items.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<[Int64]>()
        var found: [PossibleConflict] = []
        for item in items {
            for (key, score) in neighbours(item.key) where score >= conflictThreshold && key != item.key {
                guard let other = byKey[key], other.agent == item.agent,
                      let reason = item.facts.conflict(with: other.facts),
                      seen.insert([min(item.key, key), max(item.key, key)]).inserted else { continue }
                found.append(PossibleConflict(a: min(item.key, key), b: max(item.key, key), similarity: score, reason: reason))
            }
        }
        return found.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
    }
}
