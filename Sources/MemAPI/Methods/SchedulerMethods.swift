import MemCube

// scheduler.*: tiers, heat, pins and model runner jobs.

/// `scheduler.status`: tier usage, budgets and the latest moves.
public enum SchedulerStatus: RPCMethod {
    public static let name = "scheduler.status"
    public static let access = MethodAccess.perItem

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        /// How many recent moves to return (default 20).
        public var events: Int?
        public init(events: Int? = nil) { self.events = events }

        enum CodingKeys: String, CodingKey, CaseIterable { case events }
    }

    public struct Usage: Codable, Sendable, Hashable {
        public var count: Int
        public var bytes: Int
        public init(count: Int, bytes: Int) {
            self.count = count
            self.bytes = bytes
        }
    }

    public struct Event: Codable, Sendable, Hashable {
        public var at: Timestamp
        public var namespace: String
        public var id: String
        public var from: String
        public var to: String
        public var reason: String
        public init(at: Timestamp, namespace: String, id: String, from: String, to: String, reason: String) {
            self.at = at
            self.namespace = namespace
            self.id = id
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        /// Per tier (`working`, `active`, `archive`): memories and their bytes (text, vector, payload).
        public var tiers: [String: Usage]
        /// Per namespace, per tier.
        public var namespaces: [String: [String: Usage]]
        public var pinned: Int
        /// `working` (global) and `working_per_namespace`.
        public var budgets: [String: Usage]
        /// The working tier's memories held in RAM now, and the RAM they take.
        public var workingRAM: Usage
        public var lastTick: Timestamp?
        public var events: [Event]
        /// Connected model runners, and jobs by state (queued, dispatched, done, failed).
        public var runners: Int
        public var jobs: [String: Int]

        enum CodingKeys: String, CodingKey {
            case tiers, namespaces, pinned, budgets, events, runners, jobs
            case lastTick = "last_tick", workingRAM = "working_ram"
        }

        public init(
            tiers: [String: Usage], namespaces: [String: [String: Usage]], pinned: Int, budgets: [String: Usage],
            workingRAM: Usage, lastTick: Timestamp?, events: [Event], runners: Int = 0, jobs: [String: Int] = [:]
        ) {
            self.runners = runners
            self.jobs = jobs
            self.workingRAM = workingRAM
            self.tiers = tiers
            self.namespaces = namespaces
            self.pinned = pinned
            self.budgets = budgets
            self.lastTick = lastTick
            self.events = events
        }
    }
}

/// `scheduler.promote` / `scheduler.demote`: move one memory a tier up or down (or to `tier`).
public enum SchedulerMove {
    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var id: String
        /// The target tier; default one step (archive → active → working, or back).
        public var tier: String?
        public init(namespace: String, id: String, tier: String? = nil) {
            self.namespace = namespace
            self.id = id
            self.tier = tier
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, id, tier }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var from: String
        public var to: String
        public init(id: String, from: String, to: String) {
            self.id = id
            self.from = from
            self.to = to
        }
    }
}

public enum SchedulerPromote: RPCMethod {
    public static let name = "scheduler.promote"
    public static let access = MethodAccess.write
    public typealias Params = SchedulerMove.Params
    public typealias Result = SchedulerMove.Result
}

public enum SchedulerDemote: RPCMethod {
    public static let name = "scheduler.demote"
    public static let access = MethodAccess.write
    public typealias Params = SchedulerMove.Params
    public typealias Result = SchedulerMove.Result
}

/// `scheduler.pin` / `scheduler.unpin`: a pinned memory never changes tier on its own.
public enum SchedulerPinning {
    public typealias Params = MemoryRef

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var pinned: Bool
        public var tier: String
        public init(id: String, pinned: Bool, tier: String) {
            self.id = id
            self.pinned = pinned
            self.tier = tier
        }
    }
}

public enum SchedulerPin: RPCMethod {
    public static let name = "scheduler.pin"
    public static let access = MethodAccess.write
    public typealias Params = SchedulerPinning.Params
    public typealias Result = SchedulerPinning.Result
}

public enum SchedulerUnpin: RPCMethod {
    public static let name = "scheduler.unpin"
    public static let access = MethodAccess.write
    public typealias Params = SchedulerPinning.Params
    public typealias Result = SchedulerPinning.Result
}

/// `scheduler.touch`: count an access to memories (as a recall hit or get does).
public enum SchedulerTouch: RPCMethod {
    public static let name = "scheduler.touch"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var ids: [String]
        public init(namespace: String, ids: [String]) {
            self.namespace = namespace
            self.ids = ids
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, ids }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var touched: Int
        public init(touched: Int) { self.touched = touched }
    }
}

/// `scheduler.tick`: flush accesses and run the tier planner now; returns the moves made.
public enum SchedulerTick: RPCMethod {
    public static let name = "scheduler.tick"
    public static let access = MethodAccess.daemonOwner
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Hashable {
        public var moves: [SchedulerStatus.Event]
        public init(moves: [SchedulerStatus.Event]) { self.moves = moves }
    }
}

/// `scheduler.subscribe`: a model runner registers on this connection and
/// then receives `scheduler.job` notifications on it (docs/runners.md).
public enum SchedulerSubscribe: RPCMethod {
    public static let name = "scheduler.subscribe"
    public static let access = MethodAccess.daemonOwner

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        /// Base model ids this runner can compute snapshots for.
        public var models: [String]
        public var name: String?
        public init(models: [String], name: String? = nil) {
            self.models = models
            self.name = name
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case models, name }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var runner: Int
        public var models: [String]
        public init(runner: Int, models: [String]) {
            self.runner = runner
            self.models = models
        }
    }
}

/// `scheduler.complete` / `scheduler.fail`: a runner reports on a job.
public enum SchedulerJobReport {
    public struct Result: Codable, Sendable, Hashable {
        public var jobID: String
        public var state: String

        enum CodingKeys: String, CodingKey {
            case state
            case jobID = "job_id"
        }

        public init(jobID: String, state: String) {
            self.jobID = jobID
            self.state = state
        }
    }
}

public enum SchedulerComplete: RPCMethod {
    public static let name = "scheduler.complete"
    public static let access = MethodAccess.daemonOwner
    public typealias Result = SchedulerJobReport.Result

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var jobID: String
        /// The activation memory the runner added.
        public var id: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case id
            case jobID = "job_id"
        }

        public init(jobID: String, id: String) {
            self.jobID = jobID
            self.id = id
        }
    }
}

public enum SchedulerFail: RPCMethod {
    public static let name = "scheduler.fail"
    public static let access = MethodAccess.daemonOwner
    public typealias Result = SchedulerJobReport.Result

    public struct Params: WireParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var jobID: String
        /// Why the runner could not do the job.
        public var error: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case error
            case jobID = "job_id"
        }

        public init(jobID: String, error: String) {
            self.jobID = jobID
            self.error = error
        }
    }
}
