import Foundation
import MemCube
import MemJSON
import Retrieval

/// One memory as consolidation's planners see it.
public struct ConsolidationItem: Sendable {
    public var key: Int64
    public var id: CubeID
    /// The scope within the namespace: memories of different agents never merge.
    public var agent: String?
    public var session: String?
    public var text: String
    public var facts: TextFacts
    /// Event time, or record time when the event time is unknown.
    public var time: Timestamp
    public var attributes: [String: JSONValue]

    public init(key: Int64, id: CubeID, agent: String?, session: String?, text: String, time: Timestamp, attributes: [String: JSONValue]) {
        self.key = key
        self.id = id
        self.agent = agent
        self.session = session
        self.text = text
        self.facts = TextFacts(text)
        self.time = time
        self.attributes = attributes
    }
}

/// A neighbour by vector: its key and cosine similarity.
public typealias SimilarItem = (key: Int64, score: Float)

/// Memories that say the same thing: the survivor keeps its id and takes the
/// text of `textFrom` (the one with the most content words, which holds
/// every other member's words); `others` become superseded by it.
public struct DuplicateGroup: Sendable, Hashable {
    public var survivor: Int64
    public var others: [Int64]
    public var textFrom: Int64
    /// True when every member has the same normalized text.
    public var exact: Bool
}

/// Two similar memories that may contradict each other.
public struct PossibleConflict: Sendable, Hashable {
    public var a: Int64
    public var b: Int64
    public var similarity: Float
    public var reason: String
}

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

/// Structured facts that replace older ones: the same `attributes.key`, or
/// the same `attributes.subject` and `attributes.predicate` (same agent).
public enum FactSupersession {
    /// An older fact whose validity ends when the newer one starts.
    public struct Closing: Sendable, Hashable {
        public var older: Int64
        public var newer: Int64
        public var validTo: Timestamp
        public var fact: String
    }

    /// The fact an item states, if its writer gave one.
    public static func fact(of item: ConsolidationItem) -> String? {
        if case .string(let key)? = item.attributes["key"], !key.isEmpty { return "key=\(key)" }
        if case .string(let subject)? = item.attributes["subject"], case .string(let predicate)? = item.attributes["predicate"] {
            return "\(subject.lowercased()) \(predicate.lowercased())"
        }
        return nil
    }

    /// For each fact stated more than once, every statement but the newest
    /// (by event time, then record order) closes when the next one starts.
    /// Statements already closed at or before that time are left alone.
    public static func closings(_ items: [ConsolidationItem], validTo: (Int64) -> Timestamp?) -> [Closing] {
        var byFact: [String: [ConsolidationItem]] = [:]
        for item in items {
            guard let fact = fact(of: item) else { continue }
            byFact[(item.agent ?? "") + "\u{1}" + fact, default: []].append(item)
        }
        var closings: [Closing] = []
        for (_, statements) in byFact where statements.count > 1 {
            let ordered = statements.sorted { ($0.time, $0.key) < ($1.time, $1.key) }
            for (older, newer) in zip(ordered, ordered.dropFirst()) {
                if let closed = validTo(older.key), closed <= newer.time { continue }
                closings.append(Closing(older: older.key, newer: newer.key, validTo: newer.time, fact: fact(of: older)!))
            }
        }
        return closings.sorted { $0.older < $1.older }
    }
}

/// Extractive summaries: the most central memories of a cluster that do not
/// repeat each other (maximal marginal relevance against the centroid).
public enum ExtractiveSummary {
    /// The indices of up to `count` members to quote, in their original order.
    public static func pick(vectors: [[Float]], count: Int = 3, lambda: Float = 0.7) -> [Int] {
        guard let dimension = vectors.first?.count, dimension > 0 else { return [] }
        var centroid = [Float](repeating: 0, count: dimension)
        for vector in vectors where vector.count == dimension {
            for i in 0..<dimension { centroid[i] += vector[i] }
        }
        let norm = centroid.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for i in 0..<dimension { centroid[i] /= norm } }
        let centrality = vectors.map { $0.count == dimension ? Double(BLAS.dot($0, centroid, dimension)) : 0 }
        let chosen = MMR.select(relevance: centrality, vectors: vectors, k: count, lambda: Double(lambda))
        return chosen.sorted()
    }

    /// The summary text: the picked memories' sentences, each cut to about
    /// `maxSentence` characters at a word boundary.
    public static func text(of picked: [String], maxSentence: Int = 240) -> String {
        picked.map { text in
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count > maxSentence else { return trimmed.endsWithStop ? trimmed : trimmed + "." }
            let cut = trimmed.prefix(maxSentence)
            let end = cut.lastIndex(of: " ") ?? cut.endIndex
            return String(cut[..<end]) + "…"
        }.joined(separator: " ")
    }
}

extension String {
    var endsWithStop: Bool { last.map { ".!?…".contains($0) } ?? false }
}

/// The consolidation job's thresholds (memosd flags; docs/consolidation.md).
public struct ConsolidationSettings: Sendable {
    /// Cosine at or above which two memories making the same claim are merged.
    public var duplicateThreshold: Float = 0.92
    /// Cosine at or above which differing negation, numbers or dates link a possible conflict.
    public var conflictThreshold: Float = 0.8
    /// Cosine at or above which memories without a session cluster for a summary.
    public var clusterThreshold: Float = 0.75
    /// A session or cluster gets a summary from this many memories on.
    public var summaryMinMembers = 8
    /// A vector cluster is cut at this many memories.
    public var summaryMaxMembers = 50
    /// Nearest neighbours looked up per memory.
    public var neighbours = 10
    /// Abstractive summaries through a chat endpoint; nil: extractive only.
    public var chat: ChatSummarizer?
    /// Tokens one run may spend on the chat endpoint; past it, summaries are extractive.
    public var chatTokenBudget = 50_000

    public init() {}

    public var finder: DuplicateFinder {
        DuplicateFinder(nearThreshold: duplicateThreshold, conflictThreshold: conflictThreshold)
    }
}

/// Names that are one entity written two ways: the same letters once
/// diacritics, hyphens and spaces are folded ("José" / "Jose", "Mary-Ann" /
/// "Mary Ann"), or a first name and the only two-word name starting with it
/// ("Caroline" / "Caroline Smith"), unless its second word is a name of its
/// own ("Go Jon") or the first is a gerund or a contraction.
public enum EntityAliases {
    public struct Pair: Sendable, Hashable {
        public var a: Int64
        public var b: Int64
        public var reason: String
    }

    public static func pairs(_ names: [(id: Int64, key: String, display: String)]) -> [Pair] {
        var pairs: [Pair] = []
        func fold(_ key: String) -> String {
            String(String.UnicodeScalarView(key.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                !(0x300...0x36F).contains($0.value) && $0 != "-" && $0 != " " && $0 != "."
            }))
        }
        for (_, group) in Dictionary(grouping: names, by: { fold($0.key) }) where group.count > 1 {
            let sorted = group.sorted { $0.id < $1.id }
            for other in sorted.dropFirst() {
                pairs.append(Pair(a: sorted[0].id, b: other.id, reason: "\(sorted[0].display) = \(other.display) (same letters)"))
            }
        }
        let single = Dictionary(names.filter { !$0.key.contains(" ") }.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        // Two-word names only, and not "<word> <a known name>": sentence openings
        // such as "Go Jon" or "Anytime Nate" are read as names by the extractor.
        let twoWords = names.filter { name in
            let parts = name.key.split(separator: " ")
            return parts.count == 2 && single[String(parts[1])] == nil
        }
        let full = Dictionary(grouping: twoWords, by: { String($0.key.prefix { $0 != " " }) })
        for (first, candidates) in full where candidates.count == 1 {
            // A gerund or a contraction opening a sentence ("Learning German", "Here's Toby") is no first name.
            guard let short = single[first], !first.hasSuffix("ing"), !first.contains("'") else { continue }
            pairs.append(Pair(a: short.id, b: candidates[0].id, reason: "\(short.display) = \(candidates[0].display) (the only full name)"))
        }
        return pairs.sorted { ($0.a, $0.b) < ($1.a, $1.b) }
    }
}
