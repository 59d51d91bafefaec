import Synchronization
import Testing
@testable import Retrieval

/// Counts the texts it embeds; vectors from the hashing embedder.
final class CountingEmbedder: Embedder {
    let id: String
    let dimension = 64
    let embedded = Mutex<[String]>([])
    init(id: String = "counting") { self.id = id }

    func embed(_ texts: [String]) throws -> [[Float]] {
        embedded.withLock { $0 += texts }
        return HashingEmbedder(dimension: dimension).embed(texts)
    }
}

@Suite struct QueryEmbeddingCacheTests {
    @Test func aRepeatedQuerySkipsTheModelAndTheLeastRecentGoesFirst() throws {
        let cache = QueryEmbeddingCache(capacity: 2)
        let model = CountingEmbedder()
        let first = try cache.vector(for: "where is the cat", embedder: model)
        #expect(try cache.vector(for: "where is the cat", embedder: model) == first)
        #expect(first == HashingEmbedder(dimension: 64).embed(["where is the cat"])[0])
        _ = try cache.vector(for: "b", embedder: model)
        _ = try cache.vector(for: "where is the cat", embedder: model)  // now the most recent
        _ = try cache.vector(for: "c", embedder: model)                 // evicts "b", not the cat
        _ = try cache.vector(for: "where is the cat", embedder: model)
        _ = try cache.vector(for: "b", embedder: model)
        #expect(model.embedded.withLock { $0 } == ["where is the cat", "b", "c", "b"])
        #expect(cache.counts.hits == 3 && cache.counts.misses == 4)
    }

    @Test func vectorsAreReusedForTheSameEmbedderOnly() throws {
        let cache = QueryEmbeddingCache()
        let a = CountingEmbedder(id: "a"), b = CountingEmbedder(id: "b")
        _ = try cache.vector(for: "q", embedder: a)
        _ = try cache.vector(for: "q", embedder: b)
        #expect(a.embedded.withLock { $0 } == ["q"] && b.embedded.withLock { $0 } == ["q"])
        let off = QueryEmbeddingCache(capacity: 0)
        _ = try off.vector(for: "q", embedder: a)
        _ = try off.vector(for: "q", embedder: a)
        #expect(a.embedded.withLock { $0 } == ["q", "q", "q"])
    }
}
