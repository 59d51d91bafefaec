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
        /// Irregular forms meet their base before stemming (`Lemmas`: bought/buy, children/child).
        public var lemmas = true
        /// A query's adjacent words also look up their join ("road trip" →
        /// roadtrip) and a word its halves ("roadtrips" → road, trips) when
        /// the namespace has those terms, at this weight relative to a query term.
        public var compoundWeight: Float = 0
        /// Pseudo-relevance feedback: after a first search, the `feedbackTerms`
        /// terms most characteristic of the `feedbackDocuments` best hits
        /// (tf·idf, in at least two memories) join the query at up to this
        /// weight, and the search runs again (0: off).
        public var feedbackWeight: Float = 0
        public var feedbackDocuments = 3
        public var feedbackTerms = 8

        public init() {}

        /// The knobs by name, for experiments (`memos-eval --rerank feedback=0.3`).
        public mutating func set(_ name: String, _ value: Double) -> Bool {
            switch name {
            case "lemmas": lemmas = value != 0
            case "k1": k1 = Float(value)
            case "b": b = Float(max(0, min(1, value)))
            case "context": contextWeight = Float(value)
            case "compounds": compoundWeight = Float(value)
            case "feedback": feedbackWeight = Float(value)
            case "feedback_docs": feedbackDocuments = Int(max(1, min(100, value)))
            case "feedback_terms": feedbackTerms = Int(max(1, min(100, value)))
            default: return false
            }
            return true
        }

        /// A word's index term: its base form (with `lemmas`), stemmed.
        func term(_ word: String) -> String { PorterStemmer.stem(lemmas ? Lemmas.base(word) : word) }
    }

    public let parameters: Parameters
    private let state = ReadWriteLocked(State())

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    /// Inserts or replaces the text of `key`; a memory without text is removed.
    public func upsert(namespace: String, key: Int64, text: String?, meta: VectorMeta) {
        upsert(namespace: namespace, [Entry(key: key, text: text, meta: meta)])
    }

    /// One memory's text for `upsert(namespace:_:)`.
    public struct Entry: Sendable {
        public var key: Int64
        public var text: String?
        public var meta: VectorMeta
        public init(key: Int64, text: String?, meta: VectorMeta) {
            self.key = key
            self.text = text
            self.meta = meta
        }
    }

    /// Inserts or replaces many memories of one namespace: the texts are
    /// split into words on every core (for a large batch), then indexed
    /// under one lock.
    public func upsert(namespace: String, _ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        let words = ParallelMap.map(entries) { $0.text.map(KeywordTerms.words) ?? [] }
        state.write { state in
            var shard = state.shards.removeValue(forKey: namespace) ?? Shard()
            for (entry, words) in zip(entries, words) {
                var counts: [String: Float] = [:]
                counts.reserveCapacity(words.count)
                for word in words { counts[state.stem(word, parameters), default: 0] += 1 }
                shard.remove(entry.key)
                if !counts.isEmpty { shard.insert(key: entry.key, counts: counts, length: words.count, meta: entry.meta) }
            }
            if shard.count > 0 { state.shards[namespace] = shard }
        }
    }

    /// Records that these memories moved to `tier` (a filter may read it).
    public func retier(namespace: String, keys: [Int64], tier: Tier) {
        state.write { state in
            guard var shard = state.shards.removeValue(forKey: namespace) else { return }
            for key in keys { shard.retier(key, tier) }
            state.shards[namespace] = shard
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
            var query: [(term: Int32, weight: Float)] = []
            func add(_ stem: String, _ weight: Float) {
                guard let id = shard.termIDs[stem], !shard.postings[Int(id)].isEmpty, !query.contains(where: { $0.term == id }) else { return }
                query.append((id, weight))
            }
            for term in terms { add(state.term(term, parameters), 1) }
            if parameters.compoundWeight > 0 {
                for stem in Compounds.stems(of: terms, parameters: parameters, known: { shard.termIDs[$0] != nil }) {
                    add(stem, parameters.compoundWeight)
                }
            }
            guard !query.isEmpty else { return [] }
            var slots = shard.search(query, k: k, filter: filter, now: now, parameters: parameters)
            if parameters.feedbackWeight > 0, !slots.isEmpty {
                let feedback = shard.feedbackTerms(
                    top: slots.prefix(parameters.feedbackDocuments).map(\.slot), excluding: Set(query.map(\.term)),
                    count: parameters.feedbackTerms)
                if !feedback.isEmpty {
                    query += feedback.map { ($0.term, parameters.feedbackWeight * $0.share) }
                    slots = shard.search(query, k: k, filter: filter, now: now, parameters: parameters)
                }
            }
            return slots.map { KeywordHit(key: shard.keys[Int($0.slot)], score: Double($0.score)) }
        }
    }

    /// What a memory with each of the query's terms once, at the average
    /// length, would score (Σ idf): fusion's yardstick when few memories
    /// match, so one weak hit is not taken for a perfect one.
    public func ceiling(namespace: String, terms: [String]) -> Double {
        state.read { state in
            guard let shard = state.shards[namespace] else { return 0 }
            let ids = Set(terms.compactMap { shard.termIDs[state.term($0, parameters)] }.filter { !shard.postings[Int($0)].isEmpty })
            return ids.reduce(0) { $0 + Double(shard.idf($1)) }
        }
    }

    /// The memories before and after each of `keys` in its session (key
    /// order), for signals that let a short memory borrow from its
    /// neighbours; keys without a session, or not indexed, are left out.
    public func sessionNeighbours(namespace: String, keys: [Int64]) -> [Int64: [Int64]] {
        state.read { state in
            guard let shard = state.shards[namespace] else { return [:] }
            var result: [Int64: [Int64]] = [:]
            for key in keys {
                guard let slot = shard.slots[key] else { continue }
                let around = [shard.previous[Int(slot)], shard.next[Int(slot)]].filter { $0 >= 0 }.map { shard.keys[Int($0)] }
                if !around.isEmpty { result[key] = around }
            }
            return result
        }
    }

    /// How many memories of `namespace` contain each term (after stemming).
    public func documentFrequency(namespace: String, term: String) -> Int {
        state.read { state in
            guard let shard = state.shards[namespace],
                  let id = shard.termIDs[state.term(term, parameters)] else { return 0 }
            return shard.postings[Int(id)].count
        }
    }

    private struct State {
        var shards: [String: Shard] = [:]
        /// Surface word → stem: most words repeat, and stemming allocates.
        var stemCache: [String: String] = [:]

        static let stemCacheLimit = 200_000

        /// A query word's index term, from the cache when indexing has seen it (lookups never fill the cache).
        func term(_ word: String, _ parameters: Parameters) -> String { stemCache[word] ?? parameters.term(word) }

        mutating func stem(_ word: String, _ parameters: Parameters) -> String {
            if let stem = stemCache[word] { return stem }
            let stem = parameters.term(word)
            if stemCache.count >= Self.stemCacheLimit { stemCache.removeAll(keepingCapacity: true) }
            stemCache[word] = stem
            return stem
        }
    }

    struct Posting {
        var slot: Int32
        var tf: Float
    }

    /// A memory's count of one term (its forward index, sorted by term id).
    struct TermCount {
        var term: Int32
        var tf: Float
    }

    /// One namespace's index: per-slot arrays (hot fields apart, for the
    /// scoring loops), postings per term id. Slots of removed memories are reused.
    struct Shard {
        var keys: [Int64] = []
        var metas: [VectorMeta] = []
        var terms: [[TermCount]] = []
        var lengths: [Float] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var free: [Int32] = []
        var slots: [Int64: Int32] = [:]
        var termIDs: [String: Int32] = [:]
        var postings: [[Posting]] = []
        /// Slots of each session's memories, in key order.
        var sessions: [String: [Int32]] = [:]
        var totalLength: Double = 0
        /// Σ over adjacent pairs (a, b) in sessions of len(a) + len(b): with
        /// `totalLength`, the sum of every memory's length with its neighbours'.
        var neighbourLength: Double = 0

        var count: Int { slots.count }

        /// The length-sum term of an adjacent pair (0 when either end is missing).
        private func pair(_ a: Int32, _ b: Int32) -> Double {
            a >= 0 && b >= 0 ? Double(lengths[Int(a)] + lengths[Int(b)]) : 0
        }

        mutating func insert(key: Int64, counts: [String: Float], length: Int, meta: VectorMeta) {
            var forward: [TermCount] = []
            forward.reserveCapacity(counts.count)
            for (stem, tf) in counts {
                let id: Int32
                if let known = termIDs[stem] {
                    id = known
                } else {
                    id = Int32(postings.count)
                    termIDs[stem] = id
                    postings.append([])
                }
                forward.append(TermCount(term: id, tf: tf))
            }
            forward.sort { $0.term < $1.term }
            let slot: Int32
            if let reused = free.popLast() {
                slot = reused
                keys[Int(slot)] = key
                metas[Int(slot)] = meta
                terms[Int(slot)] = forward
                lengths[Int(slot)] = Float(length)
            } else {
                slot = Int32(keys.count)
                keys.append(key)
                metas.append(meta)
                terms.append(forward)
                lengths.append(Float(length))
                previous.append(-1)
                next.append(-1)
            }
            slots[key] = slot
            totalLength += Double(length)
            for entry in forward { postings[Int(entry.term)].append(Posting(slot: slot, tf: entry.tf)) }
            if let session = meta.session { link(slot, into: session) }
        }

        mutating func retier(_ key: Int64, _ tier: Tier) {
            if let slot = slots[key] { metas[Int(slot)].tier = tier }
        }

        mutating func remove(_ key: Int64) {
            guard let slot = slots.removeValue(forKey: key) else { return }
            for entry in terms[Int(slot)] {
                let term = Int(entry.term)
                if let i = postings[term].firstIndex(where: { $0.slot == slot }) {
                    postings[term].swapAt(i, postings[term].count - 1)
                    postings[term].removeLast()
                }
            }
            if let session = metas[Int(slot)].session { unlink(slot, from: session) }
            totalLength -= Double(lengths[Int(slot)])
            keys[Int(slot)] = -1
            terms[Int(slot)] = []
            lengths[Int(slot)] = 0
            free.append(slot)
        }

        private mutating func link(_ slot: Int32, into session: String) {
            var order = sessions.removeValue(forKey: session) ?? []
            let key = keys[Int(slot)]
            // Binary search: memories usually arrive in key order, at the end.
            var low = 0, high = order.count
            while low < high {
                let mid = (low + high) / 2
                if keys[Int(order[mid])] < key { low = mid + 1 } else { high = mid }
            }
            order.insert(slot, at: low)
            let before: Int32 = low > 0 ? order[low - 1] : -1
            let after: Int32 = low + 1 < order.count ? order[low + 1] : -1
            previous[Int(slot)] = before
            next[Int(slot)] = after
            neighbourLength += pair(before, slot) + pair(slot, after) - pair(before, after)
            if before >= 0 { next[Int(before)] = slot }
            if after >= 0 { previous[Int(after)] = slot }
            sessions[session] = order
        }

        private mutating func unlink(_ slot: Int32, from session: String) {
            let before = previous[Int(slot)], after = next[Int(slot)]
            neighbourLength += pair(before, after) - pair(before, slot) - pair(slot, after)
            if before >= 0 { next[Int(before)] = after }
            if after >= 0 { previous[Int(after)] = before }
            previous[Int(slot)] = -1
            next[Int(slot)] = -1
            guard var order = sessions.removeValue(forKey: session) else { return }
            if let i = order.firstIndex(of: slot) { order.remove(at: i) }
            if !order.isEmpty { sessions[session] = order }
        }

        /// Term at a time, rarest term first, with MaxScore-style pruning:
        /// once the k-th best score so far (among memories passing the
        /// filter) reaches what the remaining terms could add at most
        /// (idf·(k1 + 1) each), no unscored memory can enter the top k; the
        /// remaining terms then only update the candidates that still can,
        /// through their forward index. The top k is exact.
        /// `terms` are term ids with postings, each with its weight (1 for the
        /// query's own words): a term adds weight·idf·saturation.
        func search(
            _ terms: [(term: Int32, weight: Float)], k: Int, filter: CubeFilter, now: Timestamp, parameters p: Parameters
        ) -> [(slot: Int32, score: Float)] {
            guard count > 0 else { return [] }
            // `idf` below is the term's weight times its idf: everything a term adds scales by it.
            var query = terms.map { (term: $0.term, idf: $0.weight * idf($0.term)) }
            query.sort { $0.idf > $1.idf }
            var remaining = query.map { $0.idf * (p.k1 + 1) }
            for i in stride(from: remaining.count - 2, through: 0, by: -1) { remaining[i] += remaining[i + 1] }

            let averageLength = max(1, Float((totalLength + neighbourLength) / Double(count)))
            let slotCount = keys.count
            let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: slotCount)
            let frequencies = UnsafeMutableBufferPointer<Float>.allocate(capacity: slotCount)
            let touched = UnsafeMutableBufferPointer<Int32>.allocate(capacity: slotCount)
            let isCandidate = UnsafeMutableBufferPointer<Bool>.allocate(capacity: slotCount)
            defer {
                isCandidate.deallocate()
                scores.deallocate()
                frequencies.deallocate()
                touched.deallocate()
            }
            scores.initialize(repeating: 0)
            frequencies.initialize(repeating: 0)
            isCandidate.initialize(repeating: false)
            var candidates: [Int32] = []
            var pruning = false

            lengths.withUnsafeBufferPointer { lengths in
                previous.withUnsafeBufferPointer { previous in
                    next.withUnsafeBufferPointer { next in
                        let w = p.contextWeight
                        @inline(__always) func saturation(_ slot: Int32, _ f: Float) -> Float {
                            var length = lengths[Int(slot)]
                            let before = previous[Int(slot)], after = next[Int(slot)]
                            if before >= 0 { length += lengths[Int(before)] }
                            if after >= 0 { length += lengths[Int(after)] }
                            return f * (p.k1 + 1) / (f + p.k1 * (1 - p.b + p.b * length / averageLength))
                        }
                        for (i, (term, idf)) in query.enumerated() {
                            if i > 0, candidates.count >= k {
                                let bar = kthBest(candidates, scores, k: k, filter: filter, now: now)
                                if bar >= remaining[i] {
                                    if !pruning {
                                        pruning = true
                                        for slot in candidates { isCandidate[Int(slot)] = true }
                                    }
                                    candidates.removeAll { slot in
                                        let hopeless = scores[Int(slot)] + remaining[i] < bar
                                        if hopeless { isCandidate[Int(slot)] = false }
                                        return hopeless
                                    }
                                }
                            }
                            let list = postings[Int(term)]
                            // Few candidates left: look the term up in their forward index
                            // (three binary searches each) rather than scan its postings.
                            if pruning, candidates.count * 24 < list.count {
                                for slot in candidates {
                                    var f = tf(term, slot)
                                    let before = previous[Int(slot)], after = next[Int(slot)]
                                    if before >= 0 { f += w * tf(term, before) }
                                    if after >= 0 { f += w * tf(term, after) }
                                    if f > 0 { scores[Int(slot)] += idf * saturation(slot, f) }
                                }
                                continue
                            }
                            var touchedCount = 0
                            let onlyCandidates = pruning
                            @inline(__always) func add(_ slot: Int32, _ tf: Float) {
                                if onlyCandidates && !isCandidate[Int(slot)] { return }
                                if frequencies[Int(slot)] == 0 {
                                    touched[touchedCount] = slot
                                    touchedCount += 1
                                }
                                frequencies[Int(slot)] += tf
                            }
                            list.withUnsafeBufferPointer { list in
                                for posting in list {
                                    add(posting.slot, posting.tf)
                                    guard w > 0 else { continue }
                                    let before = previous[Int(posting.slot)], after = next[Int(posting.slot)]
                                    if before >= 0 { add(before, w * posting.tf) }
                                    if after >= 0 { add(after, w * posting.tf) }
                                }
                            }
                            for slot in touched[0..<touchedCount] {
                                let f = frequencies[Int(slot)]
                                frequencies[Int(slot)] = 0
                                if scores[Int(slot)] == 0 { candidates.append(slot) }
                                scores[Int(slot)] += idf * saturation(slot, f)
                            }
                        }
                    }
                }
            }
            var best = TopK<Int32>(k: k)
            for slot in candidates {
                let score = scores[Int(slot)]
                guard score > best.threshold, metas[Int(slot)].matches(filter, now: now) else { continue }
                best.offer(score, slot)
            }
            return best.sorted().map { (slot: $0.item, score: $0.score) }
        }

        /// ln(1 + (N − n + 0.5)/(n + 0.5)) for a term in n of the N memories.
        func idf(_ term: Int32) -> Float {
            let df = Float(postings[Int(term)].count)
            return log1p((Float(count) - df + 0.5) / (df + 0.5))
        }

        /// Pseudo-relevance feedback's terms: over the memories at `top`, each
        /// term's Σ tf/length · idf; the `count` best not in `excluding` and
        /// found in at least two memories (a term of one memory finds nothing
        /// new), each with its share of the best one's score (0...1].
        func feedbackTerms(top: [Int32], excluding: Set<Int32>, count: Int) -> [(term: Int32, share: Float)] {
            var weights: [Int32: Float] = [:]
            for slot in top {
                let length = max(1, lengths[Int(slot)])
                for entry in terms[Int(slot)] where !excluding.contains(entry.term) && postings[Int(entry.term)].count >= 2 {
                    weights[entry.term, default: 0] += entry.tf / length * idf(entry.term)
                }
            }
            let best = weights.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count)
            guard let top = best.first?.value, top > 0 else { return [] }
            return best.map { (term: $0.key, share: $0.value / top) }
        }

        /// How often `term` occurs in the memory at `slot` (binary search of its forward index).
        @inline(__always) private func tf(_ term: Int32, _ slot: Int32) -> Float {
            terms[Int(slot)].withUnsafeBufferPointer { entries in
                var low = 0, high = entries.count
                while low < high {
                    let mid = (low + high) / 2
                    if entries[mid].term < term { low = mid + 1 } else { high = mid }
                }
                return low < entries.count && entries[low].term == term ? entries[low].tf : 0
            }
        }

        /// The k-th best score among the candidates passing the filter (−∞ if fewer).
        private func kthBest(
            _ candidates: [Int32], _ scores: UnsafeMutableBufferPointer<Float>, k: Int, filter: CubeFilter, now: Timestamp
        ) -> Float {
            var best = TopK<Int32>(k: k)
            for slot in candidates where scores[Int(slot)] > best.threshold && metas[Int(slot)].matches(filter, now: now) {
                best.offer(scores[Int(slot)], slot)
            }
            return best.threshold
        }
    }
}

public struct KeywordHit: Sendable, Hashable {
    public var key: Int64
    /// The BM25 score (higher is better).
    public var score: Double
}
