import Foundation
import MemCube
import MemJSON
import Synchronization

/// Where the hub sends a runner its jobs: the server implements it over the
/// runner's socket connection (`ClientConnection`), tests over a socket pair.
public protocol RunnerChannel: AnyObject, Sendable {
    /// Unique among the channels open at once.
    var id: Int { get }
    var isOpen: Bool { get }
    /// Sends one line (the channel adds the newline); false once the runner is gone.
    @discardableResult func send(_ line: [UInt8]) -> Bool
}

/// Model runners and their jobs (docs/runners.md).
///
/// A runner is an external process (vLLM, llama.cpp, a script) that keeps a
/// connection open after `scheduler.subscribe` and receives `scheduler.job`
/// notifications on it. A `materialize` job asks it to compute the KV
/// snapshot of some plaintext memories and add it back as an activation
/// memory (`derived_from` the sources), then report `scheduler.complete`.
/// A job not completed within `timeout` goes back to the queue, up to
/// `maxAttempts` dispatches; then it fails.
///
/// Thread-safe: its state is behind one mutex; notifications are sent
/// after the lock is released, on the caller's thread.
public final class RunnerHub: Sendable {
    public enum JobState: String, Sendable, CaseIterable { case queued, dispatched, done, failed }

    public struct Source: Sendable, Hashable {
        public var id: CubeID
        public var version: Int
        public var text: String

        public init(id: CubeID, version: Int, text: String) {
            self.id = id
            self.version = version
            self.text = text
        }
    }

    public struct Job: Sendable {
        public var id: String
        public var namespace: String
        public var model: String
        public var sources: [Source]
        public var state: JobState
        public var attempts = 0
        public var dispatchedAt: Timestamp?
        public var runner: Int?
        public var result: String?
        public var error: String?
    }

    struct Runner {
        var connection: any RunnerChannel
        var models: Set<String>
        var name: String
        var served = 0
    }

    struct State {
        var runners: [Int: Runner] = [:]
        var jobs: [String: Job] = [:]
        var order: [String] = []
    }

    public let timeoutSeconds: Double
    public let maxAttempts: Int
    private let state = Mutex(State())

    public init(timeoutSeconds: Double = 300, maxAttempts: Int = 3) {
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
    }

    public func subscribe(_ connection: any RunnerChannel, models: Set<String>, name: String) {
        state.withLock { $0.runners[connection.id] = Runner(connection: connection, models: models, name: name) }
    }

    /// Models some open connection serves.
    public var models: Set<String> {
        state.withLock { state in
            state.runners = state.runners.filter { $0.value.connection.isOpen }
            return state.runners.values.reduce(into: Set<String>()) { $0.formUnion($1.models) }
        }
    }

    /// Queues a materialize job unless one for the same sources and model is queued or running.
    @discardableResult
    public func enqueue(namespace: String, model: String, sources: [Source]) -> String? {
        state.withLock { state in
            let ids = sources.map(\.id)
            if state.jobs.values.contains(where: {
                $0.model == model && $0.sources.map(\.id) == ids && ($0.state == .queued || $0.state == .dispatched)
            }) { return nil }
            let id = "job-" + CubeID.generate(at: Timestamp.now().millis).rawValue.lowercased()
            state.jobs[id] = Job(id: id, namespace: namespace, model: model, sources: sources, state: .queued)
            state.order.append(id)
            return id
        }
    }

    /// Sends queued jobs to runners of their model (least served first) and
    /// requeues or fails dispatched jobs past their deadline.
    public func pump(now: Timestamp) {
        var sends: [(any RunnerChannel, [UInt8], String)] = []
        state.withLock { state in
            state.runners = state.runners.filter { $0.value.connection.isOpen }
            for id in state.order {
                guard var job = state.jobs[id] else { continue }
                if job.state == .dispatched, let at = job.dispatchedAt,
                   Double(now.millis - at.millis) / 1000 >= timeoutSeconds || state.runners[job.runner ?? -1] == nil {
                    job.state = job.attempts >= maxAttempts ? .failed : .queued
                    if job.state == .failed { job.error = "no runner completed it in \(job.attempts) attempts" }
                    job.runner = nil
                }
                if job.state == .queued,
                   let (key, runner) = state.runners.filter({ $0.value.models.contains(job.model) }).min(by: { $0.value.served < $1.value.served })
                {
                    job.state = .dispatched
                    job.attempts += 1
                    job.dispatchedAt = now
                    job.runner = key
                    state.runners[key]!.served += 1
                    sends.append((runner.connection, Self.notification(job, deadline: now.adding(seconds: timeoutSeconds)), id))
                }
                state.jobs[id] = job
            }
            // Finished jobs are kept for a while for status, then dropped.
            if state.order.count > 10_000 {
                let finished = state.order.filter { [.done, .failed].contains(state.jobs[$0]?.state) }.prefix(state.order.count - 10_000)
                for id in finished { state.jobs[id] = nil }
                state.order.removeAll { state.jobs[$0] == nil }
            }
        }
        for (connection, line, id) in sends where !connection.send(line) {
            state.withLock { state in
                guard var job = state.jobs[id], job.state == .dispatched else { return }
                job.state = .queued
                job.runner = nil
                state.jobs[id] = job
            }
        }
    }

    public func job(_ id: String) -> Job? { state.withLock { $0.jobs[id] } }

    /// Marks a dispatched job done with the id of the memory its runner added.
    public func finish(_ id: String, result: String?, error: String?) throws(ValidationError) -> Job {
        try state.withLock { state throws(ValidationError) -> Job in
            guard var job = state.jobs[id] else { throw ValidationError(field: "job_id", "is not a job of this memosd (it may have expired)") }
            guard job.state == .dispatched || job.state == .queued else {
                throw ValidationError(field: "job_id", "is already \(job.state.rawValue)")
            }
            if let error {
                job.error = error
                job.state = job.attempts >= maxAttempts ? .failed : .queued
                job.runner = nil
            } else {
                job.state = .done
                job.result = result
            }
            state.jobs[id] = job
            return job
        }
    }

    public var counts: (runners: Int, jobs: [String: Int]) {
        state.withLock { state in
            var jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) })
            for job in state.jobs.values { jobs[job.state.rawValue, default: 0] += 1 }
            return (state.runners.values.filter { $0.connection.isOpen }.count, jobs)
        }
    }

    static func notification(_ job: Job, deadline: Timestamp) -> [UInt8] {
        let params: JSONValue = [
            "job_id": .string(job.id), "kind": "materialize", "namespace": .string(job.namespace), "model": .string(job.model),
            "attempt": .int(Int64(job.attempts)), "deadline": .string(deadline.iso8601),
            "memories": .array(job.sources.map { ["id": .string($0.id.rawValue), "version": .int(Int64($0.version)), "text": .string($0.text)] }),
        ]
        let message: JSONValue = ["jsonrpc": "2.0", "method": "scheduler.job", "params": params]
        return (try? Array(JSONEncoder().encode(message))) ?? []
    }
}

/// Sets of memories recalled together again and again: when the same top
/// hits come back `threshold` times, they are worth one KV snapshot as a
/// group (MemOS's "recurring set recalled together").
public final class CoRecall: Sendable {
    struct Key: Hashable {
        var namespace: String
        var ids: [CubeID]
    }

    let size: Int
    let threshold: Int
    private let counts = Mutex<[Key: (count: Int, sources: [RunnerHub.Source])]>([:])

    public init(size: Int = 3, threshold: Int = 3) {
        self.size = size
        self.threshold = threshold
    }

    /// Notes one recall's best plaintext hits (in rank order).
    public func record(namespace: String, hits: [RunnerHub.Source]) {
        guard hits.count >= 2 else { return }
        let top = Array(hits.prefix(size))
        let key = Key(namespace: namespace, ids: top.map(\.id))
        counts.withLock { counts in
            if counts.count > 50_000 { counts.removeAll() }  // bounded: forget old patterns
            counts[key, default: (0, top)].count += 1
            counts[key]!.sources = top
        }
    }

    /// The sets that recurred enough since the last call (their counts restart).
    public func takeRecurring() -> [(namespace: String, sources: [RunnerHub.Source])] {
        counts.withLock { counts in
            let ready = counts.filter { $0.value.count >= threshold }
            for key in ready.keys { counts[key] = nil }
            return ready.map { ($0.key.namespace, $0.value.sources) }.sorted { $0.sources[0].id < $1.sources[0].id }
        }
    }
}
