import Foundation
import MemCube
import MemStore

/// BM25 keyword search over the text of every active memory, in memory.
///
/// Derived data like the vector index: built from the store at start and
/// kept current by the writes' `afterCommit` hooks. Per namespace it keeps
/// an inverted index (stem → postings) and, for memories in a session,
/// links to the previous and next memory of that session (by key order).
///
/// Scoring is BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N − n + 0.5)/(n + 0.5)),
/// N and n counted in the namespace) over a term frequency that also counts
/// the term's occurrences in the session neighbours' text at `contextWeight`:
/// a reply such as "Yes, last Friday!" is found by what it answered. As in
/// SQLite FTS5's bm25() over a text and a context column, a memory's length
/// is its own words plus its neighbours' (a short memory amid long ones is
/// not treated as a short document).
///
/// A query is scored term at a time into dense per-namespace arrays, so its
/// cost is the length of its terms' posting lists: no SQL, no per-row calls.
/// Thread-safe: searches share a read lock, writes take the write lock.
public final class KeywordIndex: Sendable {
    public struct Parameters: Sendable {
        public var k1: Float = 1.2
        public var b: Float = 0.75
        /// How much a term in a session neighbour's text counts, relative to the memory's own text.
        public var contextWeight: Float = 0.3

        public init() {}
    }

    public let parameters: Parameters
    private let state = ReadWriteLocked(State())

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    /// Inserts or replaces the text of `key`; a memory without text is removed.
    public func upsert(namespace: String, key: Int64, text: String?, meta: VectorMeta) {
        let words = text.map(KeywordTerms.words) ?? []
        state.write { state in
            var counts: [String: Float] = [:]
            for word in words { counts[state.stem(word), default: 0] += 1 }
            var shard = state.shards.removeValue(forKey: namespace) ?? Shard()
            shard.remove(key)
            if !counts.isEmpty { shard.insert(key: key, counts: counts, length: words.count, meta: meta) }
            if shard.count > 0 { state.shards[namespace] = shard }
        }
    }

    public func remove(namespace: String, keys: [Int64]) {
        state.write { state in
            guard var shard = state.shards.removeValue(forKey: namespace) else { return }
            for key in keys { shard.remove(key) }
            if shard.count > 0 { state.shards[namespace] = shard }
        }
    }

    public func count(namespace: String) -> Int { state.read { $0.shards[namespace]?.count ?? 0 } }

    public var totalCount: Int { state.read { $0.shards.values.reduce(0) { $0 + $1.count } } }

    /// The `k` best memories of `namespace` for the query's keyword terms
    /// (`KeywordQuery.terms`), passing `filter`; best first, scores > 0.
    public func search(namespace: String, terms: [String], k: Int, filter: CubeFilter, now: Timestamp) -> [KeywordHit] {
        guard k > 0, !terms.isEmpty else { return [] }
        return state.read { state in
            guard let shard = state.shards[namespace] else { return [] }
            var stems: [String] = []
            for term in terms {
                let stem = state.stemCache[term] ?? PorterStemmer.stem(term)
                if !stems.contains(stem) { stems.append(stem) }
            }
            return shard.search(stems: stems, k: k, filter: filter, now: now, parameters: parameters)
        }
    }

    /// How many memories of `namespace` contain each term (after stemming).
    public func documentFrequency(namespace: String, term: String) -> Int {
        state.read { state in
            state.shards[namespace]?.postings[state.stemCache[term] ?? PorterStemmer.stem(term)]?.count ?? 0
        }
    }

    private struct State {
        var shards: [String: Shard] = [:]
        /// Surface word → stem: most words repeat, and stemming allocates.
        var stemCache: [String: String] = [:]

        static let stemCacheLimit = 200_000

        mutating func stem(_ word: String) -> String {
            if let stem = stemCache[word] { return stem }
            let stem = PorterStemmer.stem(word)
            if stemCache.count >= Self.stemCacheLimit { stemCache.removeAll(keepingCapacity: true) }
            stemCache[word] = stem
            return stem
        }
    }

    struct Posting {
        var slot: Int32
        var tf: Float
    }

    struct Doc {
        var key: Int64
        var meta: VectorMeta
        var stems: [String]
        var length: Float
        var previous: Int32 = -1
        var next: Int32 = -1
    }

    /// One namespace's index. Slots of removed memories are reused.
    struct Shard {
        var docs: [Doc] = []
        var free: [Int32] = []
        var slots: [Int64: Int32] = [:]
        var postings: [String: [Posting]] = [:]
        /// Slots of each session's memories, in key order.
        var sessions: [String: [Int32]] = [:]
        var totalLength: Double = 0
        /// Σ over adjacent pairs (a, b) in sessions of len(a) + len(b): with
        /// `totalLength`, the sum of every memory's length with its neighbours'.
        var neighbourLength: Double = 0

        var count: Int { slots.count }

        /// A memory's length for BM25: its words and its neighbours'.
        func length(_ slot: Int32) -> Float {
            let doc = docs[Int(slot)]
            var length = doc.length
            if doc.previous >= 0 { length += docs[Int(doc.previous)].length }
            if doc.next >= 0 { length += docs[Int(doc.next)].length }
            return length
        }

        /// The length-sum term of an adjacent pair (0 when either end is missing).
        private func pair(_ a: Int32, _ b: Int32) -> Double {
            a >= 0 && b >= 0 ? Double(docs[Int(a)].length + docs[Int(b)].length) : 0
        }

        mutating func insert(key: Int64, counts: [String: Float], length: Int, meta: VectorMeta) {
            let doc = Doc(key: key, meta: meta, stems: Array(counts.keys), length: Float(length))
            let slot: Int32
            if let reused = free.popLast() {
                slot = reused
                docs[Int(slot)] = doc
            } else {
                slot = Int32(docs.count)
                docs.append(doc)
            }
            slots[key] = slot
            totalLength += Double(length)
            for (stem, tf) in counts { postings[stem, default: []].append(Posting(slot: slot, tf: tf)) }
            if let session = meta.session { link(slot, into: session) }
        }

        mutating func remove(_ key: Int64) {
            guard let slot = slots.removeValue(forKey: key) else { return }
            let doc = docs[Int(slot)]
            for stem in doc.stems {
                guard var list = postings.removeValue(forKey: stem) else { continue }
                if let i = list.firstIndex(where: { $0.slot == slot }) { list.swapAt(i, list.count - 1); list.removeLast() }
                if !list.isEmpty { postings[stem] = list }
            }
            if let session = doc.meta.session { unlink(slot, from: session) }
            totalLength -= Double(doc.length)
            docs[Int(slot)] = Doc(key: -1, meta: doc.meta, stems: [], length: 0)
            free.append(slot)
        }

        private mutating func link(_ slot: Int32, into session: String) {
            var order = sessions[session] ?? []
            let key = docs[Int(slot)].key
            // Binary search: memories usually arrive in key order, at the end.
            var low = 0, high = order.count
            while low < high {
                let mid = (low + high) / 2
                if docs[Int(order[mid])].key < key { low = mid + 1 } else { high = mid }
            }
            order.insert(slot, at: low)
            let previous: Int32 = low > 0 ? order[low - 1] : -1
            let next: Int32 = low + 1 < order.count ? order[low + 1] : -1
            docs[Int(slot)].previous = previous
            docs[Int(slot)].next = next
            neighbourLength += pair(previous, slot) + pair(slot, next) - pair(previous, next)
            if previous >= 0 { docs[Int(previous)].next = slot }
            if next >= 0 { docs[Int(next)].previous = slot }
            sessions[session] = order
        }

        private mutating func unlink(_ slot: Int32, from session: String) {
            let doc = docs[Int(slot)]
            neighbourLength += pair(doc.previous, doc.next) - pair(doc.previous, slot) - pair(slot, doc.next)
            if doc.previous >= 0 { docs[Int(doc.previous)].next = doc.next }
            if doc.next >= 0 { docs[Int(doc.next)].previous = doc.previous }
            guard var order = sessions.removeValue(forKey: session) else { return }
            if let i = order.firstIndex(of: slot) { order.remove(at: i) }
            if !order.isEmpty { sessions[session] = order }
        }

        func search(stems: [String], k: Int, filter: CubeFilter, now: Timestamp, parameters p: Parameters) -> [KeywordHit] {
            let n = Float(count)
            guard n > 0 else { return [] }
            let averageLength = max(1, Float((totalLength + neighbourLength) / Double(count)))
            var scores = [Float](repeating: 0, count: docs.count)
            var frequencies = [Float](repeating: 0, count: docs.count)
            var scored: [Int32] = []
            var touched: [Int32] = []
            docs.withUnsafeBufferPointer { docs in
                for stem in stems {
                    guard let list = postings[stem] else { continue }
                    let df = Float(list.count)
                    let idf = log1p((n - df + 0.5) / (df + 0.5))
                    touched.removeAll(keepingCapacity: true)
                    func add(_ slot: Int32, _ tf: Float) {
                        if frequencies[Int(slot)] == 0 { touched.append(slot) }
                        frequencies[Int(slot)] += tf
                    }
                    for posting in list {
                        add(posting.slot, posting.tf)
                        let doc = docs[Int(posting.slot)]
                        let context = p.contextWeight * posting.tf
                        if context > 0 {
                            if doc.previous >= 0 { add(doc.previous, context) }
                            if doc.next >= 0 { add(doc.next, context) }
                        }
                    }
                    for slot in touched {
                        let f = frequencies[Int(slot)]
                        frequencies[Int(slot)] = 0
                        let norm = p.k1 * (1 - p.b + p.b * length(slot) / averageLength)
                        if scores[Int(slot)] == 0 { scored.append(slot) }
                        scores[Int(slot)] += idf * f * (p.k1 + 1) / (f + norm)
                    }
                }
            }
            var best = TopK<Int32>(k: k)
            for slot in scored {
                let score = scores[Int(slot)]
                guard score > best.threshold, docs[Int(slot)].meta.matches(filter, now: now) else { continue }
                best.offer(score, slot)
            }
            return best.sorted().map { KeywordHit(key: docs[Int($0.item)].key, score: Double($0.score)) }
        }
    }
}

public struct KeywordHit: Sendable, Hashable {
    public var key: Int64
    /// The BM25 score (higher is better).
    public var score: Double
}

/// The words keyword search indexes and looks up: maximal runs of letters
/// and digits, lower-cased, diacritics removed ("Café" → "cafe"); the index
/// stems them with `PorterStemmer`.
public enum KeywordTerms {
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var ascii = true
        var current: [UInt8] = []
        current.reserveCapacity(32)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                current.append(byte + 32)
            case 0x80...:
                ascii = false
            default:
                if !current.isEmpty {
                    words.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                }
            }
            if !ascii { break }
        }
        if ascii {
            if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
            return words
        }
        return unicodeWords(text)
    }

    /// The general case: letters and digits of any script. After canonical
    /// decomposition the combining diacritical marks (U+0300–U+036F) are
    /// dropped; other scripts' marks stay part of their words.
    static func unicodeWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            if (0x300...0x36F).contains(scalar.value) { continue }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark || properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words.map { $0.precomposedStringWithCanonicalMapping }
    }
}
