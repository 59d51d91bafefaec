import Foundation
import MemCube
import MemStore

/// What an agent asks recall for.
public struct RecallQuery: Sendable {
    public var namespace: String
    public var text: String
    public var k: Int
    public var filter: CubeFilter
    /// Per-request signal weights; missing signals keep the engine's weights.
    public var weights: [Signal: Double]
    /// Per-request fusion method; nil keeps the engine's.
    public var fusion: RankFusion.Method?
    /// "Now" for the query's time phrases and recency (default: now).
    public var referenceTime: Timestamp?
    /// MMR diversity, 0...1 (0 = off): how much to favour hits unlike those
    /// already chosen over plain relevance.
    public var diversity: Double
    /// Archived memories are left out unless this is set.
    public var includeArchive = false
    /// Consolidation's summaries never take a hit's place (unless the filter
    /// asks for the `summary` tag); up to this many come back beside the hits.
    public var summaries = 2
    public var now: Timestamp

    public init(
        namespace: String, text: String, k: Int = 10, filter: CubeFilter = CubeFilter(),
        weights: [Signal: Double] = [:], fusion: RankFusion.Method? = nil, referenceTime: Timestamp? = nil,
        diversity: Double = 0, now: Timestamp = .now()
    ) {
        self.fusion = fusion
        self.referenceTime = referenceTime
        self.diversity = diversity
        self.namespace = namespace
        self.text = text
        self.k = k
        self.filter = filter
        self.weights = weights
        self.now = now
    }
}

/// How long each step of one recall took, in milliseconds.
public struct RecallTimings: Sendable {
    public var embed = 0.0, vector = 0.0, keyword = 0.0, graph = 0.0, load = 0.0
    /// Fusion, boosts, sorting and diversity.
    public var rest = 0.0

    public init() {}

    public var total: Double { embed + vector + keyword + graph + load + rest }

    struct Stopwatch {
        private var last = DispatchTime.now().uptimeNanoseconds

        /// Milliseconds since the previous lap (or the start).
        mutating func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { last = now }
            return Double(now - last) / 1e6
        }
    }
}

/// One keyword search, run on a Dispatch worker when another signal runs
/// meanwhile on the caller's thread, else on the caller's thread at once.
final class KeywordSearch: @unchecked Sendable {
    // @unchecked: `hits` and `milliseconds` are written once, before `done` is signalled, and read after `wait()`.
    private(set) var hits: [KeywordHit] = []
    /// `KeywordIndex.ceiling` of the query.
    private(set) var ceiling = 0.0
    private(set) var milliseconds = 0.0
    private let done = DispatchSemaphore(value: 0)
    private let background: Bool

    /// `ceilingBelow`: the query's ceiling is looked up when fewer hits than this are found (fusion's `minScaledCandidates`).
    init(_ keywords: KeywordIndex, query: RecallQuery, k: Int, ceilingBelow: Int, alongside: Bool) {
        background = alongside
        let run: @Sendable () -> Void = { [self] in
            var clock = RecallTimings.Stopwatch()
            let terms = KeywordQuery.terms(for: query.text)
            hits = keywords.search(namespace: query.namespace, terms: terms, k: k, filter: query.filter, now: query.now)
            if hits.count < ceilingBelow { ceiling = keywords.ceiling(namespace: query.namespace, terms: terms) }
            milliseconds = clock.lap()
        }
        if alongside {
            DispatchQueue.global(qos: .userInitiated).async {
                run()
                self.done.signal()
            }
        } else {
            run()
        }
    }

    func wait() {
        if background { done.wait() }
    }
}

public struct RecallHit: Sendable {
    public var key: Int64
    public var cube: MemCube
    /// The final score: fused signals plus the boosts.
    public var score: Double
    public var signals: [Signal: SignalScore]
    /// The fused score before the boosts.
    public var fused: Double
    /// What each boost added: `time`, `recency`, `importance`.
    public var boosts: [String: Double]
    /// The time phrase the query was understood to name, if any.
    public var timePhrase: String?
}

/// Adjustments after fusion: a query's time phrase, recency, importance,
/// the speaker it names.
///
/// score = fused + time·closeness(window) + recency·2^(−age/halfLife) (age ≥ 0: none after the reference time)
///         + importance·(2·importance − 1) − ended (validity over at the reference time,
///           or not begun: valid_from after it)
///         + speaker (the memory's speaker is named in the query)
public struct Rerank: Sendable {
    public var timeWeight = 0.5
    public var recencyWeight = 0.05
    public var recencyHalfLifeDays = 30.0
    public var importanceWeight = 0.05
    /// Taken off a fact whose validity ended before the reference time (a
    /// newer statement of the same fact superseded it), or begins after it
    /// (`valid_from`): current facts first.
    public var endedPenalty = 0.2
    /// Added to a memory whose speaker the query names ("what did Dana say"):
    /// a boost, not a filter — what the other side said can still answer.
    public var speakerWeight = 0.4
    /// Candidates each signal contributes, whatever `k` (more only for a k
    /// beyond it): asking for 20 and keeping 10 finds what asking for 10 does.
    public var candidates = 50
    /// Added, scaled by how strong the other candidates of a memory's
    /// session are (the strongest session's members get all of it): a turn
    /// among turns that answer gains, a stray one does not.
    public var sessionWeight = 0.4
    /// Fused candidates loaded and reranked (at least; 3·k when that is more).
    public var loaded = 30
    /// The vector signal's score of a memory in a session adds this share
    /// of its session neighbours' best similarity (and the neighbours of its
    /// hits join the candidates): "Yes, me too!" is found by what it answered.
    /// Off: on LoCoMo it adds 0.002 recall@10 for 1.08× recall's latency (docs/benchmarks.md).
    public var neighbourWeight = 0.0

    public init() {}

    /// The knobs by name, for experiments (`memos-eval --rerank speaker=0.2`).
    public mutating func set(_ name: String, _ value: Double) -> Bool {
        switch name {
        case "time": timeWeight = value
        case "recency": recencyWeight = value
        case "importance": importanceWeight = value
        case "ended": endedPenalty = value
        case "speaker": speakerWeight = value
        case "candidates": candidates = Int(max(1, min(1000, value)))
        case "session": sessionWeight = value
        case "loaded": loaded = Int(max(1, min(3000, value)))
        case "neighbours": neighbourWeight = value
        default: return false
        }
        return true
    }
}

/// Who a query names among the speakers of its candidates: whole words,
/// any case ("what did dana say" names Dana). A memory's speaker is its
/// `speaker` field, else the `Name: text` prefix of its text.
enum SpeakerMention {
    static func speaker(of cube: MemCube) -> String? {
        if let speaker = cube.speaker { return speaker }
        // A name prefix is short: look for the colon in the first 41 bytes only (recall runs this per candidate).
        guard let text = cube.text, let colon = text.utf8.prefix(41).firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let name = text[..<colon]
        guard let first = name.first, first.isUppercase, name.allSatisfy({ $0.isLetter || $0 == " " || $0 == "-" || $0 == "'" || $0 == "." }) else { return nil }
        return String(name)
    }

    /// The lower-cased speakers of `speakers` that `query` names.
    static func named(in query: String, among speakers: Set<String>) -> Set<String> {
        guard !speakers.isEmpty else { return [] }
        let words = Set(query.lowercased().split { !$0.isLetter && $0 != "'" && $0 != "-" }.map { word -> String in
            var w = String(word)
            if w.hasSuffix("'s") { w.removeLast(2) }
            return w
        })
        return Set(speakers.map { $0.lowercased() }.filter { speaker in
            let parts = speaker.split(separator: " ").map(String.init)
            return !parts.isEmpty && parts.allSatisfy(words.contains) || parts.first.map(words.contains) == true
        })
    }
}

/// Recall: candidates from every signal, fused, then the cubes loaded.
///
/// Runs on the caller's thread (embedding and the BLAS scan block); thread-safe.
public final class RecallEngine: Sendable {
    public let store: any CubeStore
    public let index: any VectorIndex
    public let keywords: KeywordIndex
    public let embedder: any Embedder
    public let fusion: RankFusion
    public let graph: GraphRecall
    public let rerank: Rerank
    /// The last 256 distinct queries' embeddings (a repeated question skips the model).
    public let queryCache: QueryEmbeddingCache
    /// Runs the keyword search on a second thread while the vector search
    /// runs (off: one after the other, on the caller's thread).
    public let parallelSignals: Bool

    public init(
        store: any CubeStore, index: any VectorIndex, keywords: KeywordIndex, embedder: any Embedder,
        fusion: RankFusion = RankFusion(), graph: GraphRecall = GraphRecall(), rerank: Rerank = Rerank(),
        parallelSignals: Bool = true, queryCache: QueryEmbeddingCache = QueryEmbeddingCache()
    ) {
        self.queryCache = queryCache
        self.parallelSignals = parallelSignals
        self.store = store
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
        self.fusion = fusion
        self.graph = graph
        self.rerank = rerank
    }

    /// How many candidates each signal contributes for a top-`k` request.
    static func candidateCount(k: Int, floor: Int = 50) -> Int { min(1000, max(floor, k)) }

    public func recall(_ query: RecallQuery) throws -> [RecallHit] {
        var timings = RecallTimings()
        return try recall(query, timings: &timings)
    }

    /// Recall, noting how long each step took (for benchmarks and diagnosis).
    public func recall(_ query: RecallQuery, timings: inout RecallTimings) throws -> [RecallHit] {
        var summaries: [RecallHit] = []
        return try recall(query, timings: &timings, summaries: &summaries)
    }

    /// Recall, with the best summaries among the candidates in `summaries`.
    public func recall(_ query: RecallQuery, timings: inout RecallTimings, summaries: inout [RecallHit]) throws -> [RecallHit] {
        var degraded: [String] = []
        return try recall(query, timings: &timings, summaries: &summaries, degraded: &degraded)
    }

    /// Recall that goes on without a signal whose dependency is down (the
    /// http embedder): the keyword and graph signals still answer, and
    /// `degraded` says which signal was left out and why.
    public func recall(
        _ query: RecallQuery, timings: inout RecallTimings, summaries: inout [RecallHit], degraded: inout [String]
    ) throws -> [RecallHit] {
        var clock = RecallTimings.Stopwatch()
        let n = Self.candidateCount(k: query.k, floor: rerank.candidates)
        var weights = fusion.weights
        for (signal, weight) in query.weights { weights[signal] = weight }
        var rankings: [Signal: [(key: Int64, score: Double)]] = [:]
        // What a perfect hit of a signal scores, for fusion when it has few hits: cosine 1.
        var ceilings: [Signal: Double] = [.vector: 1]

        // The keyword search runs on a second core while the query is embedded
        // and the vector index searched: both wait for nothing from each other.
        let keywordSearch = weights[.keyword, default: 0] > 0
            ? KeywordSearch(
                keywords, query: query, k: n, ceilingBelow: fusion.minScaledCandidates,
                alongside: parallelSignals && weights[.vector, default: 0] > 0) : nil
        if weights[.vector, default: 0] > 0 {
            var vector: [Float]?
            do { vector = try queryCache.vector(for: query.text, embedder: embedder) } catch let error as EmbedderError {
                degraded.append("vector: \(error.description); this recall used the other signals only")
            } catch {
                keywordSearch?.wait()  // it reads the index: let it finish before leaving
                throw error
            }
            timings.embed = clock.lap()
            if let vector {
                var ranking = index.search(
                    namespace: query.namespace, query: vector, k: n, filter: query.filter, now: query.now
                ).filter { $0.score > 0 }.map { (key: $0.key, score: Double($0.score)) }  // no shared feature: no evidence
                if rerank.neighbourWeight > 0 { ranking = borrowingFromNeighbours(ranking, query: vector, namespace: query.namespace, k: n) }
                rankings[.vector] = ranking
            }
            timings.vector = clock.lap()
        }
        if let keywordSearch {
            keywordSearch.wait()
            rankings[.keyword] = keywordSearch.hits.map { ($0.key, $0.score) }
            ceilings[.keyword] = keywordSearch.ceiling
            timings.keyword = keywordSearch.milliseconds
            _ = clock.lap()
        }

        var fuser = fusion
        fuser.weights = weights
        if let method = query.fusion { fuser.method = method }
        if weights[.graph, default: 0] > 0 {
            // The graph walk starts from the other signals' fused best hits.
            let seeds = fuser.fuse(rankings, ceilings: ceilings).map { (key: $0.key, score: $0.score) }
            rankings[.graph] = try graph.rank(
                store: store, namespace: query.namespace, query: query.text, seeds: seeds,
                namespaceSize: index.count(namespace: query.namespace), limit: n)
            timings.graph = clock.lap()
        }
        // Load more than k: a candidate may have been forgotten since it was indexed, graph
        // candidates are not filtered yet, and the boosts may reorder the top.
        let fused = fuser.fuse(rankings, ceilings: ceilings).prefix(max(query.k * 3, rerank.loaded))
        let fusing = clock.lap()
        let cubes = try store.cubes(namespace: query.namespace, keys: fused.map(\.key), now: query.now)
        timings.load = clock.lap()
        let reference = query.referenceTime ?? query.now
        let window = TimeExpressions.window(in: query.text, reference: reference)
        var hits: [RecallHit] = []
        let summariesAsHits = query.filter.tags.contains("summary")
        let named = rerank.speakerWeight != 0
            ? SpeakerMention.named(in: query.text, among: Set(cubes.values.compactMap(SpeakerMention.speaker(of:)))) : []
        // Session coherence: each session's fused strength, over the candidates.
        var sessionMass: [String: Double] = [:]
        if rerank.sessionWeight != 0 {
            for candidate in fused { if let session = cubes[candidate.key]?.session { sessionMass[session, default: 0] += candidate.score } }
        }
        let strongestOther = fused.map { candidate in
            cubes[candidate.key]?.session.map { (sessionMass[$0] ?? 0) - candidate.score } ?? 0
        }.max() ?? 0
        for candidate in fused {
            guard let cube = cubes[candidate.key], cube.tier != .archive || query.includeArchive,
                  query.filter.matches(cube)
            else { continue }
            let time = cube.occurredAt ?? cube.createdAt
            var boosts: [String: Double] = [:]
            if let window { boosts["time"] = rerank.timeWeight * window.closeness(time) }
            // As of a past reference time, what happened after it is not recent: it gets nothing.
            if time <= reference {
                let ageDays = Double(reference.millis - time.millis) / 86_400_000
                boosts["recency"] = rerank.recencyWeight * exp2(-ageDays / rerank.recencyHalfLifeDays)
            }
            boosts["importance"] = rerank.importanceWeight * (2 * cube.importance - 1)
            if let validTo = cube.validTo, validTo <= reference { boosts["ended"] = -rerank.endedPenalty }
            if let validFrom = cube.validFrom, validFrom > reference { boosts["not_yet"] = -rerank.endedPenalty }
            if !named.isEmpty, let speaker = SpeakerMention.speaker(of: cube), named.contains(speaker.lowercased()) {
                boosts["speaker"] = rerank.speakerWeight
            }
            if rerank.sessionWeight != 0, strongestOther > 0, let session = cube.session {
                boosts["session"] = rerank.sessionWeight * ((sessionMass[session] ?? 0) - candidate.score) / strongestOther
            }
            let hit = RecallHit(
                key: candidate.key, cube: cube, score: candidate.score + boosts.values.reduce(0, +),
                signals: candidate.signals, fused: candidate.score, boosts: boosts, timePhrase: window?.phrase)
            if cube.provenance.operation == .consolidateSummarize, !summariesAsHits {
                summaries.append(hit)
            } else {
                hits.append(hit)
            }
        }
        let order = { (a: RecallHit, b: RecallHit) in a.score != b.score ? a.score > b.score : a.key < b.key }
        summaries.sort(by: order)
        summaries = Array(summaries.prefix(query.summaries))
        hits.sort(by: order)
        if query.diversity > 0 {
            hits = try diversify(hits, k: query.k, lambda: 1 - min(1, query.diversity), namespace: query.namespace)
            // Scores stay in the order returned: a hit moved up for being different takes
            // the score of the one above it, and explain shows what that took off (`diversity`).
            for i in hits.indices.dropFirst() where hits[i].score > hits[i - 1].score {
                hits[i].boosts["diversity"] = hits[i - 1].score - hits[i].score
                hits[i].score = hits[i - 1].score
            }
        }
        timings.rest = fusing + clock.lap()
        return Array(hits.prefix(query.k))
    }

    /// The vector ranking with each memory's similarity s raised to
    /// (s + w·max(0, best neighbour's similarity)) / (1 + w), over the hits
    /// and the session neighbours (`KeywordIndex.sessionNeighbours`) of the
    /// best 20; best `k` first. A neighbour that is not a hit is scored from
    /// its stored vector.
    func borrowingFromNeighbours(
        _ ranking: [(key: Int64, score: Double)], query: [Float], namespace: String, k: Int
    ) -> [(key: Int64, score: Double)] {
        guard !ranking.isEmpty else { return ranking }
        var similarity = Dictionary(ranking.map { ($0.key, $0.score) }, uniquingKeysWith: max)
        let neighbours = keywords.sessionNeighbours(namespace: namespace, keys: ranking.map(\.key))
        // Neighbours that are not hits themselves are scored around the best 20 hits only:
        // a memory beside a weaker hit would not reach the top by borrowing (and each costs a vector read).
        let unscored = Set(ranking.prefix(20).flatMap { neighbours[$0.key] ?? [] }).subtracting(similarity.keys)
        for (key, vector) in index.vectors(namespace: namespace, keys: Array(unscored)) where vector.count == query.count {
            similarity[key] = Double(vector.withUnsafeBufferPointer { v in
                query.withUnsafeBufferPointer { q in Dot.product(v.baseAddress!, q.baseAddress!, q.count) }
            })
        }
        // Neighbourhood is mutual: a new candidate borders the hits it was found beside
        // (its own other neighbours are not looked up: one hop).
        var around = neighbours
        for (hit, keys) in neighbours { for key in keys { around[key, default: []].append(hit) } }
        let w = rerank.neighbourWeight
        var scored: [(key: Int64, score: Double)] = []
        for (key, own) in similarity {
            let borrowed = (around[key] ?? []).compactMap { similarity[$0] }.max() ?? 0
            let score = (own + w * max(0, borrowed)) / (1 + w)
            if score > 0 { scored.append((key, score)) }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }
        return Array(scored.prefix(k))
    }

    /// Maximal marginal relevance (`MMR`) over the hits; relevance is the
    /// hit's score scaled to 0...1.
    func diversify(_ hits: [RecallHit], k: Int, lambda: Double, namespace: String) throws -> [RecallHit] {
        guard hits.count > 1 else { return hits }
        let vectors = index.vectors(namespace: namespace, keys: hits.map(\.key))
        let top = hits.first!.score, bottom = hits.last!.score
        let relevance = hits.map { top > bottom ? ($0.score - bottom) / (top - bottom) : 1 }
        return MMR.select(relevance: relevance, vectors: hits.map { vectors[$0.key] }, k: k, lambda: lambda).map { hits[$0] }
    }
}
