import MemAPI
import MemCube
import MemScheduler
import MemStore

/// scheduler.*: tiers, pins, touches, and running the planner on demand.
extension MemoryService {
    func schedulerStatus(_ params: SchedulerStatus.Params, _ context: RequestContext) throws -> SchedulerStatus.Result {
        let limit = params.events ?? 20
        guard (0...1000).contains(limit) else { throw ValidationError(field: "events", "must be between 0 and 1000") }
        var tiers: [String: SchedulerStatus.Usage] = [:]
        var namespaces: [String: [String: SchedulerStatus.Usage]] = [:]
        for tier in Tier.allCases { tiers[tier.rawValue] = .init(count: 0, bytes: 0) }
        var pinned = 0
        // The totals are the daemon's; the namespaces and events, those the caller may read.
        for record in try store.tierRecords() {
            tiers[record.tier.rawValue]!.count += 1
            tiers[record.tier.rawValue]!.bytes += record.bytes
            if self.namespaces.canRead(record.namespace, peer: context.peer) {
                namespaces[record.namespace, default: [:]][record.tier.rawValue, default: .init(count: 0, bytes: 0)].count += 1
                namespaces[record.namespace, default: [:]][record.tier.rawValue, default: .init(count: 0, bytes: 0)].bytes += record.bytes
            }
            if record.pinned { pinned += 1 }
        }
        let planner = scheduler.planner
        let ram = store.residentUsage, work = runners.counts
        return SchedulerStatus.Result(
            tiers: tiers, namespaces: namespaces, pinned: pinned,
            budgets: [
                "working": .init(count: planner.working.count, bytes: planner.working.bytes),
                "working_per_namespace": .init(count: planner.workingPerNamespace.count, bytes: planner.workingPerNamespace.bytes),
            ],
            workingRAM: .init(count: ram.loaded, bytes: ram.bytes),
            lastTick: scheduler.lastTickAt, events: try store.tierEvents(limit: limit)
                .filter { self.namespaces.canRead($0.namespace, peer: context.peer) }.map(Self.wire),
            runners: work.runners, jobs: work.jobs)

    }

    func promote(_ params: SchedulerMove.Params, _ context: RequestContext) throws -> SchedulerMove.Result {
        try move(params, up: true, context: context)
    }

    func demote(_ params: SchedulerMove.Params, _ context: RequestContext) throws -> SchedulerMove.Result {
        try move(params, up: false, context: context)
    }

    private func move(_ params: SchedulerMove.Params, up: Bool, context: RequestContext) throws -> SchedulerMove.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        let stored = try store.get(namespace: params.namespace, id: id, now: context.now)
        guard stored.cube.state == .active else {
            throw StoreError.invalidState(id, state: stored.cube.state, operation: up ? "promote" : "demote")
        }
        let order: [Tier] = [.archive, .active, .working]
        let current = stored.cube.tier
        let target: Tier
        if let name = params.tier {
            guard let tier = Tier(rawValue: name) else { throw ValidationError(field: "tier", "must be working, active or archive (got '\(name)')") }
            guard up ? order.firstIndex(of: tier)! >= order.firstIndex(of: current)! : order.firstIndex(of: tier)! <= order.firstIndex(of: current)! else {
                throw ValidationError(field: "tier", "\(tier.rawValue) is \(up ? "below" : "above") the memory's tier (\(current.rawValue)); use scheduler.\(up ? "demote" : "promote")")
            }
            target = tier
        } else {
            let index = order.firstIndex(of: current)! + (up ? 1 : -1)
            guard order.indices.contains(index) else {
                throw ValidationError(field: "id", "is already in the \(current.rawValue) tier, the \(up ? "highest" : "lowest")")
            }
            target = order[index]
        }
        if target != current {
            let change = TierChange(key: stored.key, from: current, to: target, reason: "\(up ? "promoted" : "demoted") by the client (pid \(context.peer.map { "\($0.pid)" } ?? "in-process"))")
            let applied = try store.applyTierChanges([change], at: context.now) { _ in }
            if !applied.isEmpty {
                try writes.applyTierMoves([(stored.key, params.namespace, current, target)])
                if target == .working { try store.setResident([stored.key], true) }
            }
        }
        return SchedulerMove.Result(id: id.rawValue, from: current.rawValue, to: target.rawValue)
    }

    func pin(_ params: SchedulerPinning.Params, _ context: RequestContext) throws -> SchedulerPinning.Result {
        try setPinned(params, true)
    }

    func unpin(_ params: SchedulerPinning.Params, _ context: RequestContext) throws -> SchedulerPinning.Result {
        try setPinned(params, false)
    }

    private func setPinned(_ params: SchedulerPinning.Params, _ pinned: Bool) throws -> SchedulerPinning.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        let (_, tier) = try store.setPinned(namespace: params.namespace, id: id, pinned: pinned)
        return SchedulerPinning.Result(id: id.rawValue, pinned: pinned, tier: tier.rawValue)
    }

    func touch(_ params: SchedulerTouch.Params, _ context: RequestContext) throws -> SchedulerTouch.Result {
        try limits.checkName(params.namespace, field: "namespace")
        guard (1...limits.maxBatchItems).contains(params.ids.count) else {
            throw ValidationError(field: "ids", "must name 1 to \(limits.maxBatchItems) memories")
        }
        var keys: [Int64] = []
        for (i, text) in params.ids.enumerated() {
            keys.append(try store.get(namespace: params.namespace, id: try cubeID(text, field: "ids[\(i)]"), now: context.now).key)
        }
        accessLog.record(keys: keys, at: context.now)
        return SchedulerTouch.Result(touched: keys.count)
    }

    func tick(_ params: NoParams, _ context: RequestContext) throws -> SchedulerTick.Result {
        try accessLog.flush(to: store, heat: scheduler.planner.heat)
        let moves = try runScheduler(now: context.now)
        return SchedulerTick.Result(moves: moves.map { move in
            SchedulerStatus.Event(
                at: context.now, namespace: move.namespace, id: move.id.rawValue, from: move.from.rawValue,
                to: move.to.rawValue, reason: move.reason)
        })
    }

    /// Runs the planner and keeps the vector index in step: archived
    /// memories leave it, memories back from the archive return to it.
    public func runScheduler(now: Timestamp) throws -> [TierMove] {
        let moves = try scheduler.tick(now: now)
        try writes.applyTierMoves(moves.map { ($0.key, $0.namespace, $0.from, $0.to) })
        try queueMaterialization(moves, now: now)
        runners.pump(now: now)
        return moves
    }

    static func wire(_ event: TierEvent) -> SchedulerStatus.Event {
        SchedulerStatus.Event(
            at: event.at, namespace: event.namespace, id: event.id, from: event.from.rawValue, to: event.to.rawValue, reason: event.reason)
    }
}

/// Model runners: subscriptions, materialize jobs, reports, stale snapshots.
extension MemoryService {
    func subscribe(_ params: SchedulerSubscribe.Params, _ context: RequestContext) throws -> SchedulerSubscribe.Result {
        guard let connection = context.connection else {
            throw RPCError(.invalidRequest, "scheduler.subscribe needs a socket connection to send jobs on")
        }
        guard !params.models.isEmpty, params.models.count <= 64 else { throw ValidationError(field: "models", "must name 1 to 64 model ids") }
        for (i, model) in params.models.enumerated() where !(1...256).contains(model.utf8.count) {
            throw ValidationError(field: "models[\(i)]", "must be 1 to 256 bytes")
        }
        connection.markLongLived()
        runners.subscribe(connection, models: Set(params.models), name: params.name ?? "runner")
        // Jobs already waiting for these models go out now.
        runners.pump(now: context.now)
        return SchedulerSubscribe.Result(runner: connection.id, models: params.models.sorted())
    }

    func complete(_ params: SchedulerComplete.Params, _ context: RequestContext) throws -> SchedulerJobReport.Result {
        guard let job = runners.job(params.jobID) else {
            throw ValidationError(field: "job_id", "is not a job of this memosd (it may have expired)")
        }
        guard let text = params.id else { throw ValidationError(field: "id", "is required: the activation memory the runner added") }
        let id = try cubeID(text, field: "id")
        let cube = try store.get(namespace: job.namespace, id: id, now: context.now).cube
        guard cube.kind == .activation, cube.content?.model == job.model else {
            throw ValidationError(field: "id", "must be an activation memory of model \(job.model) in namespace \(job.namespace)")
        }
        let missing = job.sources.map(\.id).filter { !cube.provenance.derivedFrom.contains($0) }
        guard missing.isEmpty else {
            throw ValidationError(field: "id", "must be derived_from the job's memories (missing \(missing.map(\.rawValue).joined(separator: ", ")))")
        }
        let finished = try runners.finish(params.jobID, result: id.rawValue, error: nil)
        return SchedulerJobReport.Result(jobID: finished.id, state: finished.state.rawValue)
    }

    func fail(_ params: SchedulerFail.Params, _ context: RequestContext) throws -> SchedulerJobReport.Result {
        let reason = params.error ?? "the runner gave no reason"
        let finished = try runners.finish(params.jobID, result: nil, error: String(reason.prefix(1000)))
        runners.pump(now: context.now)
        return SchedulerJobReport.Result(jobID: finished.id, state: finished.state.rawValue)
    }

    /// Queues a materialize job per runner model for plaintext memories that just became hot.
    func queueMaterialization(_ moves: [TierMove], now: Timestamp) throws {
        let models = runners.models
        let recurring = coRecall.takeRecurring()
        guard !models.isEmpty else { return }
        for set in recurring {
            for model in models.sorted() { runners.enqueue(namespace: set.namespace, model: model, sources: set.sources) }
        }
        for (namespace, group) in Dictionary(grouping: moves.filter { $0.to == .working }, by: \.namespace) {
            let cubes = try store.cubes(namespace: namespace, keys: group.map(\.key), now: now)
            for cube in cubes.values.sorted(by: { $0.id < $1.id }) where cube.kind == .plaintext {
                guard let text = cube.text else { continue }
                for model in models.sorted() {
                    runners.enqueue(namespace: namespace, model: model, sources: [.init(id: cube.id, version: cube.version, text: text)])
                }
            }
        }
    }

    /// Activation snapshots computed from a memory whose text just changed
    /// no longer match it: they go to the archive, with the reason.
    func demoteStaleSnapshots(of source: StoredCube, now: Timestamp) throws {
        let derived = (try store.neighbors(keys: [source.key])[source.key] ?? []).filter { $0.type == "derived" && $0.outgoing }
        guard !derived.isEmpty else { return }
        let cubes = try store.cubes(namespace: source.cube.namespace, keys: derived.map(\.key), now: now)
        let changes = cubes.filter { $0.value.kind == .activation && $0.value.tier != .archive }.map { key, cube in
            TierChange(key: key, from: cube.tier, to: .archive,
                       reason: "stale: its source \(source.cube.id.rawValue) changed (now version \(source.cube.version))")
        }
        let applied = try store.applyTierChanges(changes, at: now) { _ in }
        try writes.applyTierMoves(applied.map { ($0.key, source.cube.namespace, $0.from, $0.to) })
    }
}
