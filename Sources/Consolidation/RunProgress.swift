import Foundation
import MemCube

/// A run's report as it goes: the step running, its counts, progress.
final class RunProgress {
    var report: ConsolidationReport
    let runs: ConsolidationRuns
    private var step = ""
    private var published = Date.distantPast
    private var stepStarted = Date()

    init(_ report: ConsolidationReport, runs: ConsolidationRuns) {
        self.report = report
        self.runs = runs
    }

    var runID: String { report.runID }
    var dryRun: Bool { report.dryRun }

    func start(_ step: ConsolidationStep) {
        let name = step.rawValue
        self.step = name
        stepStarted = Date()
        report.current = name
        report.steps[name] = StepReport()
        runs.update(report)
    }

    /// A dry run lists everything it would change; a run keeps the first 100 lines per step.
    func note(_ item: String, count: Int = 1) {
        let limit = dryRun ? 10_000 : 100  // read before `report` is modified below
        report.steps[step]?.note(item, count: count, limit: limit)
    }
    func skip(_ item: String) {
        report.steps[step]?.skipped += 1
        if (report.steps[step]?.items.count ?? 100) < 100 { report.steps[step]?.items.append(item) }
    }

    /// Progress: `done` of `total`; publishes at most 10 times a second and checks for a stop.
    func examined(_ done: Int, of total: Int?) throws {
        report.steps[step]?.examined = done
        if let total { report.steps[step]?.total = total }
        let now = Date()
        if now.timeIntervalSince(published) > 0.1 {
            published = now
            runs.update(report)
        }
        try runs.checkStop()
    }

    func finishStep() {
        report.steps[step]?.finished = true
        report.steps[step]?.seconds = (Date().timeIntervalSince(stepStarted) * 1000).rounded() / 1000
        runs.update(report)
    }
}
