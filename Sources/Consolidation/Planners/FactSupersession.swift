import Foundation
import MemCube
import MemJSON
import Retrieval

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
