import MemCube

// consolidate.*: the consolidation runs, their reports and undo.

/// `consolidate.run`: the consolidation job (docs/consolidation.md).
public enum ConsolidateRun: RPCMethod {
    public static let name = "consolidate.run"
    public static let access = MethodAccess.perItem

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        /// One namespace; when absent, every namespace changed since its last run (or every one with `all`).
        public var namespace: String?
        /// With no namespace: every namespace, changed or not.
        public var all: Bool?
        /// List what would change, change nothing.
        public var dryRun: Bool?
        /// Steps to run, in order (default: all available).
        public var steps: [String]?
        /// Return the report when done (default true); false returns the run id at once.
        public var wait: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case namespace, all, steps, wait
            case dryRun = "dry_run"
        }

        public init(namespace: String? = nil, all: Bool? = nil, dryRun: Bool? = nil, steps: [String]? = nil, wait: Bool? = nil) {
            self.namespace = namespace
            self.all = all
            self.dryRun = dryRun
            self.steps = steps
            self.wait = wait
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var runID: String
        public var report: Report?

        enum CodingKeys: String, CodingKey {
            case report
            case runID = "run_id"
        }

        public init(runID: String, report: Report?) {
            self.runID = runID
            self.report = report
        }
    }

    public struct StepReport: Codable, Sendable, Hashable {
        /// Memories changed (or, in a dry run, that would change).
        public var changed: Int
        /// What changed: up to 100 entries (10,000 in a dry run), e.g. "n/01JD…: TTL passed".
        public var items: [String]
        /// Progress: memories (or groups) looked at so far, out of `total` when known.
        public var examined: Int
        public var total: Int?
        /// Changes given up because a client changed the memory meanwhile (the next run retries).
        public var skipped: Int
        /// True once the step has run to its end.
        public var finished: Bool
        /// How long the step took, once finished.
        public var seconds: Double?

        enum CodingKeys: String, CodingKey {
            case changed, items, examined, total, skipped, finished, seconds
        }

        public init(changed: Int = 0, items: [String] = [], examined: Int = 0, total: Int? = nil, skipped: Int = 0, finished: Bool = false) {
            self.changed = changed
            self.items = items
            self.examined = examined
            self.total = total
            self.skipped = skipped
            self.finished = finished
        }

        /// Notes one change, keeping the first `limit` descriptions.
        public mutating func note(_ item: String, count: Int = 1, limit: Int = 100) {
            changed += count
            if items.count < limit { items.append(item) }
        }
    }

    public struct Report: Codable, Sendable, Hashable {
        public var runID: String
        /// The namespace asked for (nil: changed namespaces, or all with `all`).
        public var namespace: String?
        public var all: Bool
        public var dryRun: Bool
        /// `running`, `done`, `failed` or `undone`.
        public var state: String
        public var startedAt: Timestamp
        public var finishedAt: Timestamp?
        /// The steps, in the order they run.
        public var plan: [String]
        /// The step running now.
        public var current: String?
        /// Namespaces the content steps (dedupe, merge, supersede, summarize) processed.
        public var namespaces: [String]
        /// Namespaces left alone: unchanged since their last run.
        public var unchanged: [String]
        public var steps: [String: StepReport]
        /// How many times the run was resumed after memosd stopped during it.
        public var resumed: Int
        /// Set when `consolidate.undo` reverted the run: what it restored.
        public var undo: StepReport?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case namespace, all, state, plan, current, namespaces, unchanged, steps, resumed, undo, error
            case runID = "run_id", dryRun = "dry_run", startedAt = "started_at", finishedAt = "finished_at"
        }

        public init(
            runID: String, namespace: String?, all: Bool = false, dryRun: Bool, state: String, startedAt: Timestamp,
            finishedAt: Timestamp? = nil, plan: [String] = [], steps: [String: StepReport] = [:], error: String? = nil
        ) {
            self.runID = runID
            self.namespace = namespace
            self.all = all
            self.dryRun = dryRun
            self.state = state
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.plan = plan
            self.current = nil
            self.namespaces = []
            self.unchanged = []
            self.steps = steps
            self.resumed = 0
            self.undo = nil
            self.error = error
        }
    }
}

/// `consolidate.status`: a run's progress and report (the latest run when no id is given).
public enum ConsolidateStatus: RPCMethod {
    public static let name = "consolidate.status"
    public static let access = MethodAccess.perItem

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var runID: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id" }
        public init(runID: String? = nil) { self.runID = runID }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var report: ConsolidateRun.Report?
        public init(report: ConsolidateRun.Report?) { self.report = report }
    }
}

/// `consolidate.report`: a run's stored report (kept across restarts).
public enum ConsolidateReport: RPCMethod {
    public static let name = "consolidate.report"
    public static let access = MethodAccess.perItem

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var runID: String
        enum CodingKeys: String, CodingKey, CaseIterable { case runID = "run_id" }
        public init(runID: String) { self.runID = runID }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var report: ConsolidateRun.Report
        public init(report: ConsolidateRun.Report) { self.report = report }
    }
}

/// `consolidate.undo`: reverts every change a run made (memories it changed
/// and nobody changed since, links it made, tier moves); the run's report
/// then shows state `undone` and what was restored.
public enum ConsolidateUndo: RPCMethod {
    public static let name = "consolidate.undo"
    public static let access = MethodAccess.perItem
    public typealias Params = ConsolidateReport.Params

    public struct Result: Codable, Sendable, Hashable {
        public var runID: String
        /// Memories restored, links removed and moves reversed.
        public var undo: ConsolidateRun.StepReport

        enum CodingKeys: String, CodingKey {
            case undo
            case runID = "run_id"
        }

        public init(runID: String, undo: ConsolidateRun.StepReport) {
            self.runID = runID
            self.undo = undo
        }
    }
}
