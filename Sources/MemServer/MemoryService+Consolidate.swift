import Consolidation
import MemAPI
import MemCube

/// consolidate.*: params checked here, the job itself in the Consolidation module.
extension MemoryService {
    func consolidate(_ params: ConsolidateRun.Params, _ context: RequestContext) throws -> ConsolidateRun.Result {
        if let namespace = params.namespace {
            try limits.checkName(namespace, field: "namespace")
            if params.all == true { throw ValidationError(field: "all", "give either a namespace or all, not both") }
            let claim = try namespaces.require(.write, namespace: namespace, peer: context.peer)
            namespaces.settle(claim, now: context.now)  // nothing to consolidate in a namespace nobody owns
        } else {
            try namespaces.requireDaemonOwner(
                context.peer, method: "consolidating every namespace", hint: "; name one of yours in params.namespace")
        }
        var asked = Set<ConsolidationStep>()
        for (i, name) in (params.steps ?? []).enumerated() {
            guard let step = ConsolidationStep(rawValue: name) else {
                let all = ConsolidationStep.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError(field: "steps[\(i)]", "'\(name)' is not a step; use \(all)")
            }
            asked.insert(step)
        }
        if params.steps?.isEmpty == true { throw ValidationError(field: "steps", "name at least one step (or leave steps out for all)") }
        let plan = params.steps == nil ? ConsolidationStep.allCases : ConsolidationStep.allCases.filter(asked.contains)
        let run = try consolidator.start(
            namespace: params.namespace, all: params.all ?? false, dryRun: params.dryRun ?? false, plan: plan,
            requester: Self.requester(context), wait: params.wait ?? true)
        return ConsolidateRun.Result(runID: run.runID, report: run.report.map(ConsolidateRun.Report.init))
    }

    func consolidationStatus(_ params: ConsolidateStatus.Params, _ context: RequestContext) throws -> ConsolidateStatus.Result {
        let report = try consolidator.report(params.runID)
        if params.runID != nil, report == nil { throw ValidationError(field: "run_id", "is not a consolidation run of this database") }
        if let report { try requireRun(report, .read, context) }
        return ConsolidateStatus.Result(report: report.map(ConsolidateRun.Report.init))
    }

    func consolidationReport(_ params: ConsolidateReport.Params, _ context: RequestContext) throws -> ConsolidateReport.Result {
        guard let report = try consolidator.report(params.runID) else {
            throw ValidationError(field: "run_id", "is not a consolidation run of this database")
        }
        try requireRun(report, .read, context)
        return ConsolidateReport.Result(report: ConsolidateRun.Report(report))
    }

    func undoConsolidation(_ params: ConsolidateUndo.Params, _ context: RequestContext) throws -> ConsolidateUndo.Result {
        if let report = try consolidator.report(params.runID) { try requireRun(report, .write, context) }
        let undo = try consolidator.undo(runID: params.runID, requester: Self.requester(context))
        return ConsolidateUndo.Result(runID: params.runID, undo: ConsolidateRun.StepReport(undo))
    }

    /// A run of one namespace needs access to it; a run over many, the daemon's user.
    private func requireRun(_ report: ConsolidationReport, _ need: NamespaceAccess.Need, _ context: RequestContext) throws {
        if let namespace = report.namespace {
            namespaces.settle(try namespaces.require(need, namespace: namespace, peer: context.peer), now: context.now)
        } else {
            try namespaces.requireDaemonOwner(context.peer, method: "a consolidation run over every namespace")
        }
    }

    /// Resumes the runs memosd was in the middle of when it stopped (at start).
    public func resumeConsolidationRuns(logger: Logger) {
        do {
            try consolidator.resumeRuns { message, metadata in logger.info(message, metadata) }
        } catch {
            logger.warning("could not resume consolidation runs", [("error", "\(error)")])
        }
    }

    /// Stops runs in progress between two transactions (at shutdown); they resume at the next start.
    public func stopConsolidation(timeout: Double = 30) {
        consolidator.stop(timeout: timeout)
    }

    static func requester(_ context: RequestContext) -> Requester? {
        context.peer.map { Requester(uid: $0.uid, pid: $0.pid) }
    }
}

// The wire form of the domain reports.
extension ConsolidateRun.StepReport {
    init(_ step: StepReport) {
        self.init(
            changed: step.changed, items: step.items, examined: step.examined, total: step.total, skipped: step.skipped,
            finished: step.finished)
        seconds = step.seconds
    }
}

extension ConsolidateRun.Report {
    init(_ report: ConsolidationReport) {
        self.init(
            runID: report.runID, namespace: report.namespace, all: report.all, dryRun: report.dryRun, state: report.state.rawValue,
            startedAt: report.startedAt, finishedAt: report.finishedAt, plan: report.plan,
            steps: report.steps.mapValues(ConsolidateRun.StepReport.init), error: report.error)
        current = report.current
        namespaces = report.namespaces
        unchanged = report.unchanged
        resumed = report.resumed
        undo = report.undo.map(ConsolidateRun.StepReport.init)
    }
}
