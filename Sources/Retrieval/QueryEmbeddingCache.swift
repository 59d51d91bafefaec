import Synchronization

/// The embeddings of the most recent distinct query texts, least recently
/// used out first: an agent that asks the same question again (a retry, a
/// loop, several namespaces) skips the model, which is most of a recall's
/// time with MiniLM.
///
/// Keyed by the embedder's `id` and the exact text, so a vector is only
/// reused for the same model and settings. Thread-safe: one mutex around
/// the table, held only to look up and to store (never while embedding).
public final class QueryEmbeddingCache: Sendable {
    public let capacity: Int
    private let state: Mutex<State>

    private struct Key: Hashable {
        var embedder: String
        var text: String
    }

    private struct State {
        var entries: [Key: (vector: [Float], used: UInt64)] = [:]
        var clock: UInt64 = 0
        var hits = 0, misses = 0
    }

    /// `capacity` 0 turns the cache off.
    public init(capacity: Int = 256) {
        self.capacity = max(0, capacity)
        state = Mutex(State())
    }

    /// The cached vector of `text` for `embedder`, else its embedding (stored).
    public func vector(for text: String, embedder: any Embedder) throws -> [Float] {
        guard capacity > 0 else { return try embedder.embed(text) }
        let key = Key(embedder: embedder.id, text: text)
        let cached = state.withLock { state -> [Float]? in
            state.clock += 1
            guard let entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.entries[key] = (entry.vector, state.clock)
            return entry.vector
        }
        if let cached { return cached }
        let vector = try embedder.embed(text)
        state.withLock { state in
            if state.entries[key] == nil, state.entries.count >= capacity,
               let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key {
                state.entries[oldest] = nil  // O(capacity), on a miss only: beside embedding, nothing
            }
            state.entries[key] = (vector, state.clock)
        }
        return vector
    }

    /// Lookups answered from the cache and those that embedded, since start.
    public var counts: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
}
