import Foundation
import Testing
import MemAPI
import MemCube
import MemScheduler
@testable import MemServer

@Suite struct ConsolidationTests {
    @Test func expireTurnsPassedTTLsIntoForgottenVersionsAndDryRunChangesNothing() throws {
        let h = try Harness()
        let keep = try #require(try h.result("memory.add", ["namespace": "n", "text": "stays"])["id"])
        let gone = try #require(try h.result("memory.add", ["namespace": "n", "text": "short-lived", "ttl_seconds": 0.001])["id"])
        _ = try h.result("memory.add", ["namespace": "other", "text": "also short", "ttl_seconds": 0.001])
        usleep(20_000)
        let before = try h.fingerprint()
        let dry = try h.result("consolidate.run", ["namespace": "n", "dry_run": true])
        #expect(dry["report"]?["steps"]?["expire"]?["changed"] == 1)
        #expect(dry["report"]?["dry_run"] == true && dry["report"]?["state"] == "done")
        #expect(try h.fingerprint() == before)

        let run = try h.result("consolidate.run", ["namespace": "n"])
        let runID = try #require(run["run_id"]?.stringValue)
        #expect(run["report"]?["steps"]?["expire"]?["changed"] == 1)
        let memory = try h.result("memory.get", ["namespace": "n", "id": gone])["memory"]
        #expect(memory?["state"] == "forgotten")
        guard case .array(let versions)? = try h.result("memory.history", ["namespace": "n", "id": gone])["versions"] else {
            Issue.record("no history")
            return
        }
        #expect(versions.last?["operation"] == "consolidate:expire")
        #expect(versions.last?["source"]?["consolidation_run"]?.stringValue == runID)
        #expect(try h.result("memory.get", ["namespace": "n", "id": keep])["memory"]?["state"] == "active")
        // Idempotent; the other namespace was left alone; a run over all takes it.
        #expect(try h.result("consolidate.run", ["namespace": "n"])["report"]?["steps"]?["expire"]?["changed"] == 0)
        #expect(try h.result("consolidate.run", [:])["report"]?["steps"]?["expire"]?["changed"] == 1)
        #expect(try h.result("consolidate.status", ["run_id": .string(runID)])["report"]?["run_id"]?.stringValue == runID)
    }

    @Test func expireCountsEveryBatchInADryRunToo() throws {
        let h = try Harness()
        let items: [JSONValue] = (0..<620).map { ["text": .string("note \($0)"), "ttl_seconds": 0.001] }
        _ = try h.result("memory.add", ["namespace": "n", "items": .array(items)])
        usleep(20_000)
        #expect(try h.result("consolidate.run", ["steps": ["expire"], "dry_run": true])["report"]?["steps"]?["expire"]?["changed"] == 620)
        #expect(try h.result("consolidate.run", ["steps": ["expire"]])["report"]?["steps"]?["expire"]?["changed"] == 620)
        #expect(try h.result("consolidate.run", ["steps": ["expire"]])["report"]?["steps"]?["expire"]?["changed"] == 0)
    }

    @Test func decayArchivesColdIdleMemoriesAndDeletesNothing() throws {
        var planner = TierPlanner()
        planner.archiveAfterSeconds = 0.001
        let h = try Harness(planner: planner)
        let cold = try #require(try h.result("memory.add", ["namespace": "n", "text": "an old note", "importance": 0])["id"])
        let important = try #require(try h.result("memory.add", ["namespace": "n", "text": "a key fact", "importance": 0.9])["id"])
        usleep(10_000)
        let dry = try h.result("consolidate.run", ["namespace": "n", "steps": ["decay"], "dry_run": true])
        #expect(dry["report"]?["steps"]?["decay"]?["changed"] == 1)
        #expect(try h.result("memory.get", ["namespace": "n", "id": cold])["memory"]?["tier"] == "active")
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["decay"]])
        let runID = try #require(run["run_id"]?.stringValue)
        #expect(try h.result("memory.get", ["namespace": "n", "id": cold])["memory"]?["tier"] == "archive")
        #expect(try h.result("memory.get", ["namespace": "n", "id": important])["memory"]?["tier"] == "active")
        guard case .array(let events)? = try h.result("scheduler.status", ["events": 1])["events"] else { Issue.record("no events"); return }
        #expect(events.first?["reason"]?.stringValue?.contains(runID) == true)
        #expect(try h.fingerprint()[0] == 2)  // both memories still there
    }

    @Test func upkeepChecksTheDatabaseAndDryRunTouchesNothing() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "text": "something"])
        let dry = try h.result("consolidate.run", ["steps": ["upkeep"], "dry_run": true])
        guard case .array(let dryItems)? = dry["report"]?["steps"]?["upkeep"]?["items"] else { Issue.record("no items"); return }
        #expect(dryItems.contains("integrity: ok"))
        let run = try h.result("consolidate.run", ["steps": ["upkeep"]])
        guard case .array(let items)? = run["report"]?["steps"]?["upkeep"]?["items"] else { Issue.record("no items"); return }
        #expect(items.contains("PRAGMA optimize done") && items.contains("integrity: ok"))
    }

    @Test func stepsAreCheckedAndRunsCanGoInTheBackground() throws {
        let h = try Harness()
        let planned = try h.call("consolidate.run", ["steps": ["dedupe"]])
        #expect(planned["error"]?["data"]?["field"] == "params.steps[0]")
        #expect(planned["error"]?["message"]?.stringValue?.contains("not available yet") == true)
        let unknown = try h.call("consolidate.run", ["steps": ["expire", "tidy"]])
        #expect(unknown["error"]?["data"]?["field"] == "params.steps[1]")
        let started = try h.result("consolidate.run", ["wait": false])
        let runID = try #require(started["run_id"]?.stringValue)
        #expect(started["report"] == nil)
        var state: String?
        for _ in 0..<200 {
            state = try h.result("consolidate.status", ["run_id": .string(runID)])["report"]?["state"]?.stringValue
            if state == "done" { break }
            usleep(10_000)
        }
        #expect(state == "done")
        let missing = try h.call("consolidate.status", ["run_id": "run-nope"])
        #expect(missing["error"]?["data"]?["field"] == "params.run_id")
    }
}
