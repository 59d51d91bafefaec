import Foundation
import MemCube
import MemStore
import Retrieval
import Synchronization

/// Re-embeds, in the background, every active memory whose vector is
/// missing or comes from another embedder (after `--embedder` changed).
///
/// Works in small batches on its own thread; each batch is one short write
/// transaction, and the index gains the new vectors as they land, so recall
/// and adds keep working meanwhile. Safe to start more than once: a running
/// job is not started twice.
public final class Reindexer: Sendable {
    public struct Status: Sendable, Hashable {
        public var running: Bool
        /// Memories still without a vector from the current embedder.
        public var pending: Int
        /// Memories re-embedded since the daemon started.
        public var done: Int
        public var lastError: String?
    }

    let store: any CubeStore
    let index: any VectorIndex
    let embedder: any Embedder
    let batchSize: Int
    let onEvent: @Sendable (String, [(String, String)]) -> Void
    private let state = Mutex<(running: Bool, done: Int, lastError: String?)>((false, 0, nil))
    private let finished = Mutex<[DispatchSemaphore]>([])

    public init(
        store: any CubeStore, index: any VectorIndex, embedder: any Embedder, batchSize: Int = 64,
        onEvent: @escaping @Sendable (String, [(String, String)]) -> Void = { _, _ in }
    ) {
        self.store = store
        self.index = index
        self.embedder = embedder
        self.batchSize = batchSize
        self.onEvent = onEvent
    }

    public func status() throws -> Status {
        let (running, done, lastError) = state.withLock { ($0.running, $0.done, $0.lastError) }
        let pending = try store.countNeedingEmbedding(embedder: embedder.id, dimension: embedder.dimension)
        return Status(running: running, pending: pending, done: done, lastError: lastError)
    }

    /// Starts the job unless it runs already; returns at once.
    public func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            state.lastError = nil
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in run() }
        thread.name = "memosd-reindex"
        thread.start()
    }

    /// Starts the job if needed and blocks until it has finished.
    public func runToCompletion() {
        let semaphore = DispatchSemaphore(value: 0)
        finished.withLock { $0.append(semaphore) }
        start()
        if !state.withLock({ $0.running }) {
            // Finished between our registration and start(): nothing to wait for.
            finished.withLock { waiters in waiters.removeAll { $0 === semaphore } }
            return
        }
        semaphore.wait()
    }

    private func run() {
        var afterKey: Int64 = 0
        var total = 0
        do {
            while true {
                let tasks = try store.cubesNeedingEmbedding(
                    embedder: embedder.id, dimension: embedder.dimension, afterKey: afterKey, limit: batchSize)
                guard let last = tasks.last else { break }
                afterKey = last.key
                let vectors = try embedder.embed(tasks.map(\.text))
                let results = zip(tasks, vectors).map { EmbeddingResult(task: $0, embedding: Embedding(embedder: embedder.id, vector: $1)) }
                let stored = try store.putEmbeddings(results) { stored in
                    for item in stored {
                        index.upsert(namespace: item.task.namespace, key: item.task.key, vector: item.embedding.vector, meta: item.task.meta)
                    }
                }
                total += stored
                state.withLock { $0.done += stored }
            }
            onEvent("re-embedding finished", [("memories", "\(total)"), ("embedder", embedder.id)])
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            onEvent("re-embedding stopped by an error; memctl reindex retries", [("error", "\(error)"), ("done", "\(total)")])
        }
        state.withLock { $0.running = false }
        let waiters = finished.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in waiters { waiter.signal() }
    }
}
