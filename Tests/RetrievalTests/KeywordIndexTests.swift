import Foundation
import Testing
import MemCube
import MemStore
import MemTestSupport
@testable import Retrieval

@Suite struct KeywordTermsTests {
    @Test func wordsAreLowerCasedWithoutDiacritics() {
        #expect(KeywordTerms.words("Caroline's café, 3pm!") == ["caroline", "s", "cafe", "3pm"])
        #expect(KeywordTerms.words("Cafe\u{301} ÜBER naïve") == ["cafe", "uber", "naive"])
        #expect(KeywordTerms.words("東京 tower") == ["東京", "tower"])
        #expect(KeywordTerms.words("") == [])
    }
}

@Suite struct KeywordIndexTests {
    let now = Timestamp(millis: 10_000)

    func meta(session: String? = nil, tags: [String] = [], expiresAt: Timestamp? = nil) -> VectorMeta {
        VectorMeta(tags: tags, agent: nil, session: session, time: Timestamp(millis: 0), expiresAt: expiresAt)
    }

    func keys(_ index: KeywordIndex, _ query: String, namespace: String = "ns", filter: CubeFilter = CubeFilter()) -> [Int64] {
        index.search(namespace: namespace, terms: KeywordQuery.terms(for: query), k: 10, filter: filter, now: now).map(\.key)
    }

    @Test func ranksRarerAndStemmedMatchesFirst() {
        let index = KeywordIndex()
        index.upsert(namespace: "ns", key: 1, text: "Caroline went to the Alps", meta: meta())
        index.upsert(namespace: "ns", key: 2, text: "Melanie hiked in the Alps last summer", meta: meta())
        index.upsert(namespace: "ns", key: 3, text: "Caroline likes tea", meta: meta())
        index.upsert(namespace: "ns", key: 4, text: "Caroline and Melanie", meta: meta())
        // "hiking" finds "hiked"; the memory with both query words comes first.
        #expect(keys(index, "hiking in the Alps") == [2, 1])
        #expect(keys(index, "tea") == [3])
        #expect(keys(index, "coffee").isEmpty)
        #expect(keys(index, "Alps", namespace: "other").isEmpty)
        #expect(index.documentFrequency(namespace: "ns", term: "caroline") == 3)
    }

    @Test func sessionNeighboursLendTheirWordsAsContext() {
        let index = KeywordIndex()
        index.upsert(namespace: "ns", key: 1, text: "Did you go to the museum?", meta: meta(session: "s"))
        index.upsert(namespace: "ns", key: 3, text: "Friday is my favourite day", meta: meta(session: "t"))
        index.upsert(namespace: "ns", key: 2, text: "Yes, last Friday!", meta: meta(session: "s"))
        let hits = index.search(namespace: "ns", terms: ["museum"], k: 10, filter: CubeFilter(), now: now)
        #expect(hits.map(\.key) == [1, 2])
        #expect(hits[1].score < hits[0].score)
        // The reply loses that context when the question goes.
        index.remove(namespace: "ns", keys: [1])
        #expect(keys(index, "museum").isEmpty)
        // Keys out of order still link by key: 5 comes between 2 and 7.
        index.upsert(namespace: "ns", key: 7, text: "ceramics class", meta: meta(session: "s"))
        index.upsert(namespace: "ns", key: 5, text: "pottery", meta: meta(session: "s"))
        #expect(keys(index, "ceramics") == [7, 5])
        #expect(Set(keys(index, "pottery")) == [5, 2, 7])
        // Moving a memory to another session moves its context with it.
        index.upsert(namespace: "ns", key: 5, text: "pottery", meta: meta(session: "t"))
        #expect(Set(keys(index, "pottery")) == [5, 3])
    }

    /// An index of namespace "ns" holding `texts` as keys 1, 2, 3...
    func indexed(_ texts: [String], _ parameters: KeywordIndex.Parameters = KeywordIndex.Parameters()) -> KeywordIndex {
        let index = KeywordIndex(parameters: parameters)
        for (i, text) in texts.enumerated() { index.upsert(namespace: "ns", key: Int64(i + 1), text: text, meta: meta()) }
        return index
    }

    @Test func compoundsAreLookedUpJoinedAndSplit() {
        var parameters = KeywordIndex.Parameters()
        parameters.compoundWeight = 0.5
        let roadtrips = ["We took a roadtrip to the coast", "The road trip was long"]
        let index = indexed(roadtrips + ["A trip to the shop"], parameters)
        // "road trip" also finds the one-word roadtrip; "roadtrips" finds road + trip.
        #expect(keys(index, "road trip").contains(1))
        #expect(keys(index, "roadtrips").prefix(2).sorted() == [1, 2])
        // Off (the default): each written form finds only itself.
        let plain = indexed(roadtrips)
        #expect(keys(plain, "roadtrips") == [1])
        #expect(!keys(plain, "road trip").contains(1))
        // Halves that are stop words are no split ("nowhere" is not now + here).
        let known: Set<String> = ["now", "here", "road", "trip"]
        #expect(Compounds.stems(of: ["nowhere"], parameters: parameters, known: known.contains).isEmpty)
        #expect(Compounds.stems(of: ["roadtrip"], parameters: parameters, known: known.contains) == ["road", "trip"])
    }

    @Test func feedbackExpandsTheQueryWithTheTopHitsTerms() {
        var parameters = KeywordIndex.Parameters()
        parameters.feedbackWeight = 0.5
        let biscuit = ["Dana adopted a puppy called Biscuit", "Biscuit chewed the sofa again"]
        let index = indexed(biscuit + ["The sofa is new", "Lunch with Sam"], parameters)
        // "puppy" is only in 1; its term Biscuit (in two memories) brings 2 along, below 1.
        #expect(keys(index, "puppy") == [1, 2])
        #expect(keys(indexed(biscuit), "puppy") == [1])
    }

    @Test func ceilingAndSessionNeighbours() {
        let index = KeywordIndex()
        index.upsert(namespace: "ns", key: 1, text: "tea", meta: meta(session: "s"))
        index.upsert(namespace: "ns", key: 2, text: "coffee", meta: meta(session: "s"))
        index.upsert(namespace: "ns", key: 3, text: "juice", meta: meta(session: "s"))
        index.upsert(namespace: "ns", key: 4, text: "water", meta: meta())
        // Three memories with tf 1 and df 1 each: the ceiling of two known terms is 2·idf.
        let idf = log1p((4 - 1 + 0.5) / (1 + 0.5))
        #expect(abs(index.ceiling(namespace: "ns", terms: ["tea", "coffee", "unknown"]) - 2 * idf) < 1e-5)
        #expect(index.ceiling(namespace: "other", terms: ["tea"]) == 0)
        let around = index.sessionNeighbours(namespace: "ns", keys: [1, 2, 4, 99])
        #expect(around[1] == [2])
        #expect(around[2] == [1, 3])
        #expect(around[4] == nil && around[99] == nil)
    }

    @Test func filtersExpiryReplacementAndRemoval() {
        let index = KeywordIndex()
        index.upsert(namespace: "ns", key: 1, text: "green tea", meta: meta(tags: ["drinks"]))
        index.upsert(namespace: "ns", key: 2, text: "black tea", meta: meta())
        index.upsert(namespace: "ns", key: 3, text: "tea that expired", meta: meta(expiresAt: Timestamp(millis: 5)))
        #expect(keys(index, "tea") == [1, 2] || keys(index, "tea") == [2, 1])
        var filter = CubeFilter()
        filter.tags = ["drinks"]
        #expect(keys(index, "tea", filter: filter) == [1])
        index.upsert(namespace: "ns", key: 1, text: "green coffee", meta: meta(tags: ["drinks"]))
        #expect(keys(index, "tea") == [2])
        #expect(keys(index, "coffee") == [1])
        index.upsert(namespace: "ns", key: 2, text: nil, meta: meta())
        #expect(keys(index, "tea").isEmpty)
        index.remove(namespace: "ns", keys: [1, 3, 99])
        #expect(index.count(namespace: "ns") == 0)
        #expect(index.totalCount == 0)
    }

    /// Random inserts, replacements and removals against a direct BM25
    /// computation over what should be indexed: same hits, same scores.
    @Test func matchesADirectBM25OverRandomEdits() {
        var rng = SplitMix64(seed: 11)
        let vocabulary = (0..<40).map { "w\($0)" }
        let index = KeywordIndex()
        var live: [Int64: (words: [String], session: String?)] = [:]
        for step in 0..<600 {
            let key = Int64(rng.next() % 120)
            if rng.next() % 5 == 0 {
                index.remove(namespace: "ns", keys: [key])
                live[key] = nil
            } else {
                let words = (0..<(1 + Int(rng.next() % 8))).map { _ in
                    // Skewed: w0...w3 are in most memories, the rest rarer.
                    vocabulary[rng.next() % 2 == 0 ? Int(rng.next() % 4) : Int(rng.next() % UInt64(vocabulary.count))]
                }
                let session: String? = rng.next() % 3 == 0 ? nil : "s\(rng.next() % 4)"
                index.upsert(namespace: "ns", key: key, text: words.joined(separator: " "), meta: meta(session: session))
                live[key] = (words, session)
            }
            guard step % 50 == 49 else { continue }
            let query = [vocabulary[Int(rng.next() % 40)], vocabulary[Int(rng.next() % 40)]]
            let expected = directBM25(live, query: query)
            let got = index.search(namespace: "ns", terms: query, k: 200, filter: CubeFilter(), now: now)
            #expect(got.count == expected.count)
            let gotScores = Dictionary(uniqueKeysWithValues: got.map { ($0.key, $0.score) })
            for (key, score) in expected {
                #expect(abs((gotScores[key] ?? -1) - score) < 1e-3 * max(1, score), "key \(key)")
            }
            // A small k takes the pruned path: still exactly the best scores.
            let top = index.search(namespace: "ns", terms: query + ["w1", "w2", "w3"], k: 5, filter: CubeFilter(), now: now)
            let truth = directBM25(live, query: query + ["w1", "w2", "w3"]).values.sorted(by: >).prefix(5)
            #expect(top.count == truth.count)
            for (hit, score) in zip(top, truth) { #expect(abs(hit.score - score) < 1e-3 * max(1, score)) }
        }
    }

    func directBM25(_ docs: [Int64: (words: [String], session: String?)], query: [String]) -> [Int64: Double] {
        let p = KeywordIndex.Parameters()
        let n = Double(docs.count)
        var neighbours: [Int64: [Int64]] = [:]
        for session in Set(docs.values.compactMap(\.session)) {
            let order = docs.filter { $0.value.session == session }.keys.sorted()
            for (i, key) in order.enumerated() {
                neighbours[key] = [i > 0 ? order[i - 1] : nil, i + 1 < order.count ? order[i + 1] : nil].compactMap { $0 }
            }
        }
        // A memory's length counts its neighbours' words too.
        func length(_ key: Int64) -> Double {
            Double(docs[key]!.words.count + (neighbours[key] ?? []).reduce(0) { $0 + docs[$1]!.words.count })
        }
        let average = docs.keys.reduce(0) { $0 + length($1) } / n
        var scores: [Int64: Double] = [:]
        for term in Set(query) {
            let df = Double(docs.values.filter { $0.words.contains(term) }.count)
            guard df > 0 else { continue }
            let idf = log1p((n - df + 0.5) / (df + 0.5))
            for (key, doc) in docs {
                var f = Double(doc.words.filter { $0 == term }.count)
                for other in neighbours[key] ?? [] { f += Double(p.contextWeight) * Double(docs[other]!.words.filter { $0 == term }.count) }
                guard f > 0 else { continue }
                let k1 = Double(p.k1), b = Double(p.b)
                scores[key, default: 0] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * length(key) / average))
            }
        }
        return scores
    }
}
