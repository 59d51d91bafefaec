import Foundation
import MemCube
import MemJSON
import Retrieval

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
