import Foundation
import Synchronization

/// Pure per-item work (embedding with the hashing embedder, entity
/// extraction) spread over the machine's cores for large batches.
public enum ParallelMap {
    /// Threads to use: the cores, at most 4 (the work is short; more threads
    /// would mostly wait for each other).
    static let threads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// `items.map(transform)`, in order; on several threads once there are
    /// at least `minimum` items (below that, starting threads costs more
    /// than it saves).
    public static func map<T: Sendable, R: Sendable>(
        _ items: [T], minimum: Int = 64, _ transform: @Sendable (T) -> R
    ) -> [R] {
        let threads = Self.threads
        guard threads > 1, items.count >= minimum else { return items.map(transform) }
        let chunk = (items.count + threads - 1) / threads
        let parts = Mutex([[R]](repeating: [], count: threads))
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let range = (part * chunk)..<min(items.count, (part + 1) * chunk)
            let mapped = range.isEmpty ? [] : items[range].map(transform)
            parts.withLock { $0[part] = mapped }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }
}
