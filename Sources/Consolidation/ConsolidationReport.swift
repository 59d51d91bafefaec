import MemCube

/// The steps of a run, in the order a run takes them (docs/consolidation.md).
public enum ConsolidationStep: String, CaseIterable, Sendable {
    case expire, dedupe, merge, supersede, summarize, decay, upkeep
}

/// Where a run is.
public enum RunState: String, Codable, Sendable {
    case running, done, failed, undone
}

/// What one step did (or, in a dry run, would do).
public struct StepReport: Codable, Sendable, Hashable {
    /// Memories changed (or, in a dry run, that would change).
    public var changed = 0
    /// What changed: up to 100 entries (10,000 in a dry run), e.g. "n/01JD…: TTL passed".
    public var items: [String] = []
    /// Progress: memories (or groups) looked at so far, out of `total` when known.
    public var examined = 0
    public var total: Int?
    /// Changes given up because a client changed the memory meanwhile (the next run retries).
    public var skipped = 0
    /// True once the step has run to its end.
    public var finished = false
    /// How long the step took, once finished.
    public var seconds: Double?

    public init() {}

    /// Notes one change, keeping the first `limit` descriptions.
    public mutating func note(_ item: String, count: Int = 1, limit: Int = 100) {
        changed += count
        if items.count < limit { items.append(item) }
    }
}

/// A run's report: stored as JSON with the run (these keys), shown live
/// while it goes, and turned into the wire type at the protocol's edge.
public struct ConsolidationReport: Codable, Sendable, Hashable {
    public var runID: String
    /// The namespace asked for (nil: changed namespaces, or all with `all`).
    public var namespace: String?
    public var all: Bool
    public var dryRun: Bool
    public var state: RunState
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?
    /// The steps, in the order they run.
    public var plan: [String]
    /// The step running now.
    public var current: String?
    /// Namespaces the content steps (dedupe, merge, supersede, summarize) processed.
    public var namespaces: [String] = []
    /// Namespaces left alone: unchanged since their last run.
    public var unchanged: [String] = []
    public var steps: [String: StepReport] = [:]
    /// How many times the run was resumed after memosd stopped during it.
    public var resumed = 0
    /// Set when the run was undone: what the undo restored.
    public var undo: StepReport?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case namespace, all, state, plan, current, namespaces, unchanged, steps, resumed, undo, error
        case runID = "run_id", dryRun = "dry_run", startedAt = "started_at", finishedAt = "finished_at"
    }

    public init(runID: String, namespace: String?, all: Bool, dryRun: Bool, startedAt: Timestamp, plan: [ConsolidationStep]) {
        self.runID = runID
        self.namespace = namespace
        self.all = all
        self.dryRun = dryRun
        self.state = .running
        self.startedAt = startedAt
        self.plan = plan.map(\.rawValue)
    }
}

/// A run stopped by a failure of its own (the report's `error`).
struct ConsolidationFailure: Error, CustomStringConvertible {
    let description: String
}
