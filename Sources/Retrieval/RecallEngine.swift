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
    public var now: Timestamp

    public init(
        namespace: String, text: String, k: Int = 10, filter: CubeFilter = CubeFilter(),
        weights: [Signal: Double] = [:], fusion: RankFusion.Method? = nil, now: Timestamp = .now()
    ) {
        self.fusion = fusion
        self.namespace = namespace
        self.text = text
        self.k = k
        self.filter = filter
        self.weights = weights
        self.now = now
    }
}

public struct RecallHit: Sendable {
    public var key: Int64
    public var cube: MemCube
    public var score: Double
    public var signals: [Signal: SignalScore]
}

/// Recall: candidates from every signal, fused, then the cubes loaded.
///
/// Runs on the caller's thread (embedding and the BLAS scan block); thread-safe.
public final class RecallEngine: Sendable {
    public let store: any CubeStore
    public let index: any VectorIndex
    public let embedder: any Embedder
    public let fusion: RankFusion
    public let graph: GraphRecall

    public init(
        store: any CubeStore, index: any VectorIndex, embedder: any Embedder, fusion: RankFusion = RankFusion(),
        graph: GraphRecall = GraphRecall()
    ) {
        self.store = store
        self.index = index
        self.embedder = embedder
        self.fusion = fusion
        self.graph = graph
    }

    /// How many candidates each signal contributes for a top-`k` request.
    static func candidateCount(k: Int) -> Int { min(1000, max(50, k * 4)) }

    public func recall(_ query: RecallQuery) throws -> [RecallHit] {
        let n = Self.candidateCount(k: query.k)
        var weights = fusion.weights
        for (signal, weight) in query.weights { weights[signal] = weight }
        var rankings: [Signal: [(key: Int64, score: Double)]] = [:]

        if weights[.vector, default: 0] > 0 {
            let vector = try embedder.embed(query.text)
            rankings[.vector] = index.search(
                namespace: query.namespace, query: vector, k: n, filter: query.filter, now: query.now
            ).filter { $0.score > 0 }.map { ($0.key, Double($0.score)) }  // no shared feature: no evidence
        }
        if weights[.keyword, default: 0] > 0, let match = KeywordQuery.match(for: query.text) {
            rankings[.keyword] = try store.keywordSearch(
                namespace: query.namespace, match: match, filter: query.filter, limit: n, now: query.now
            ).map { ($0.key, $0.score) }
        }

        var fuser = fusion
        fuser.weights = weights
        if let method = query.fusion { fuser.method = method }
        if weights[.graph, default: 0] > 0 {
            // The graph walk starts from the other signals' fused best hits.
            let seeds = fuser.fuse(rankings).map { (key: $0.key, score: $0.score) }
            rankings[.graph] = try graph.rank(
                store: store, namespace: query.namespace, query: query.text, seeds: seeds,
                namespaceSize: index.count(namespace: query.namespace), limit: n)
        }
        // Load a few more than k: a candidate may have been forgotten since it was indexed,
        // and graph candidates have not been filtered yet.
        let fused = fuser.fuse(rankings).prefix(query.k * 2 + 8)
        let cubes = try store.cubes(namespace: query.namespace, keys: fused.map(\.key), now: query.now)
        var hits: [RecallHit] = []
        for candidate in fused {
            guard let cube = cubes[candidate.key],
                  query.filter.matches(
                    tags: cube.tags, agent: cube.agent, session: cube.session, time: cube.occurredAt ?? cube.createdAt)
            else { continue }
            hits.append(RecallHit(key: candidate.key, cube: cube, score: candidate.score, signals: candidate.signals))
            if hits.count == query.k { break }
        }
        return hits
    }
}
