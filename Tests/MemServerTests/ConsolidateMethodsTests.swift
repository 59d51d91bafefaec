import Foundation
import Testing
import Consolidation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemTestSupport
import Retrieval
@testable import MemServer

@Suite struct ConsolidationTests {
    @Test func expireTurnsPassedTTLsIntoForgottenVersionsAndDryRunChangesNothing() throws {
        let h = try Harness()
        let keep = try #require(try h.result("memory.add", ["namespace": "n", "text": "stays"])["id"])
        let gone = try #require(try h.result("memory.add", ["namespace": "n", "text": "short-lived", "ttl_seconds": 60])["id"])
        _ = try h.result("memory.add", ["namespace": "other", "text": "also short", "ttl_seconds": 60])
        #expect(try h.result("consolidate.run", ["namespace": "n", "dry_run": true])["report"]?["steps"]?["expire"]?["changed"] == 0)
        h.clock.advance(seconds: 61)
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
        let items: [JSONValue] = (0..<620).map { ["text": .string("note \($0)"), "ttl_seconds": 3600] }
        _ = try h.result("memory.add", ["namespace": "n", "items": .array(items)])
        h.clock.advance(seconds: 3601)
        let dry = try h.result("consolidate.run", ["steps": ["expire"], "dry_run": true])["report"]?["steps"]?["expire"]
        #expect(dry?["changed"] == 620 && dry?["items"]?.arrayValue?.count == 620)  // a dry run lists everything
        let run = try h.result("consolidate.run", ["steps": ["expire"]])["report"]?["steps"]?["expire"]
        #expect(run?["changed"] == 620 && run?["items"]?.arrayValue?.count == 100)
        #expect(try h.result("consolidate.run", ["steps": ["expire"]])["report"]?["steps"]?["expire"]?["changed"] == 0)
    }

    @Test func decayArchivesColdIdleMemoriesAndDeletesNothing() throws {
        let h = try Harness()  // archives after 30 idle days
        let cold = try #require(try h.result("memory.add", ["namespace": "n", "text": "an old note", "importance": 0])["id"])
        let important = try #require(try h.result("memory.add", ["namespace": "n", "text": "a key fact", "importance": 0.9])["id"])
        h.clock.advance(seconds: 29 * 86_400)
        #expect(try h.result("consolidate.run", ["namespace": "n", "steps": ["decay"], "dry_run": true])["report"]?["steps"]?["decay"]?["changed"] == 0)
        h.clock.advance(seconds: 2 * 86_400)
        let dry = try h.result("consolidate.run", ["namespace": "n", "steps": ["decay"], "dry_run": true])
        #expect(dry["report"]?["steps"]?["decay"]?["changed"] == 1)
        // (memory.list, not memory.get: a get is a use, which keeps a memory out of the archive.)
        let tiers = { (h: Harness) throws -> [String: String] in
            let listed = try h.result("memory.list", ["namespace": "n"])["memories"]?.arrayValue ?? []
            return Dictionary(uniqueKeysWithValues: listed.map { ($0["id"]?.stringValue ?? "", $0["tier"]?.stringValue ?? "") })
        }
        #expect(try tiers(h)[cold.stringValue ?? ""] == "active")
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["decay"]])
        let runID = try #require(run["run_id"]?.stringValue)
        #expect(try tiers(h)[cold.stringValue ?? ""] == "archive")
        #expect(try tiers(h)[important.stringValue ?? ""] == "active")
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
        let empty = try h.call("consolidate.run", ["steps": []])
        #expect(empty["error"]?["data"]?["field"] == "params.steps")
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

/// dedupe, merge, supersede, summarize, undo and resume on crafted data.
@Suite struct ConsolidationContentTests {
    /// The state a run may change, per memory id: compared before and after undo.
    func snapshot(_ h: Harness, _ namespace: String = "n") throws -> [String: JSONValue] {
        guard case .array(let memories)? = try h.result(
            "memory.list", ["namespace": .string(namespace), "filter": ["state": "any"], "limit": 1000])["memories"]
        else { return [:] }
        var result: [String: JSONValue] = [:]
        for memory in memories {
            guard let id = memory["id"]?.stringValue else { continue }
            result[id] = [
                "text": memory["text"] ?? .null, "tags": memory["tags"] ?? .null, "attributes": memory["attributes"] ?? .null,
                "importance": memory["importance"] ?? .null, "state": memory["state"] ?? .null,
                "valid_to": memory["valid_to"] ?? .null, "tier": memory["tier"] ?? .null,
                "access": memory["access"]?["count"] ?? .null, "session": memory["session"] ?? .null,
            ]
        }
        return result
    }

    func add(_ h: Harness, _ text: String, _ extra: [String: JSONValue] = [:], namespace: String = "n") throws -> String {
        var params: [String: JSONValue] = ["namespace": .string(namespace), "text": .string(text)]
        params.merge(extra) { _, new in new }
        return try #require(try h.result("memory.add", .object(params))["id"]?.stringValue)
    }

    func state(_ h: Harness, _ id: String) throws -> JSONValue? {
        try h.result("memory.get", ["namespace": "n", "id": .string(id)])["memory"]
    }

    @Test func duplicatesMergeIntoTheOldestAndSimilarClaimsThatDifferDoNot() throws {
        var settings = ConsolidationSettings()
        settings.duplicateThreshold = 0.8  // the hashing embedder's cosines are lower than MiniLM's
        settings.conflictThreshold = 0.6
        let h = try Harness(consolidation: settings)
        let a1 = try add(h, "Caroline adopted a golden retriever named Max last spring", [
            "tags": ["pets"], "attributes": ["source": "chat-1"], "importance": 0.3,
        ])
        let a2 = try add(h, "caroline adopted a golden retriever named max last spring!", [
            "tags": ["dogs"], "attributes": ["source": "chat-2", "mood": "happy"], "importance": 0.8,
        ])
        let a3 = try add(h, "Caroline adopted a golden retriever named Max last spring in Boston")
        let likes = try add(h, "Melanie likes green tea in the morning before work")
        let dislikes = try add(h, "Melanie does not like green tea in the morning before work")
        let may3 = try add(h, "The team meeting with Jon is on May 3 at the office")
        let may4 = try add(h, "The team meeting with Jon is on May 4 at the office")
        _ = try add(h, "Jon plays guitar at the church on Sundays")
        _ = try h.result("memory.get", ["namespace": "n", "id": .string(a2)])  // an access to sum
        try h.service.accessLog.flush(to: h.store, heat: Heat())  // as the scheduler tick does
        let before = try snapshot(h)
        let fingerprint = try h.fingerprint()

        let dry = try h.result("consolidate.run", ["namespace": "n", "dry_run": true, "steps": ["dedupe", "merge", "supersede"]])
        #expect(dry["report"]?["steps"]?["dedupe"]?["changed"] == 2)
        #expect(dry["report"]?["steps"]?["merge"]?["changed"] == 2)
        #expect(try snapshot(h) == before && h.fingerprint() == fingerprint)

        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["dedupe", "merge", "supersede"]])
        let runID = try #require(run["run_id"]?.stringValue)
        #expect(run["report"]?["steps"]?["merge"]?["changed"] == 2)
        let survivor = try #require(try state(h, a1))
        #expect(survivor["text"] == "Caroline adopted a golden retriever named Max last spring in Boston")
        #expect(survivor["tags"] == ["pets", "dogs"])
        #expect(survivor["attributes"] == ["source": "chat-1", "mood": "happy"])
        #expect(survivor["importance"]?.doubleValue == 0.8)
        #expect(survivor["access"]?["count"] == 1)
        for gone in [a2, a3] {
            #expect(try state(h, gone)?["state"] == "superseded")
            guard case .array(let versions)? = try h.result("memory.history", ["namespace": "n", "id": .string(gone)])["versions"] else {
                Issue.record("no history")
                continue
            }
            #expect(versions.last?["operation"] == "consolidate:merge")
            #expect(versions.last?["source"]?["superseded_by"]?.stringValue == a1)
            #expect(versions.last?["source"]?["consolidation_run"]?.stringValue == runID)
        }
        // "likes" and "does not like" stay apart, and so do May 3 and May 4: linked as conflicts.
        for id in [likes, dislikes, may3, may4] { #expect(try state(h, id)?["state"] == "active") }
        let recall = try h.result("memory.recall", ["namespace": "n", "query": "Does Melanie like green tea?", "k": 3])
        guard case .array(let hits)? = recall["hits"] else { Issue.record("no hits"); return }
        let first = try #require(hits.first)
        let other = first["id"]?.stringValue == likes ? dislikes : likes
        #expect(first["conflicts_with"] == [.string(other)])
        #expect(run["report"]?["steps"]?["supersede"]?["changed"] == 2)
        // The merged memory is recalled once, under the survivor's id.
        let dogs = try h.result("memory.recall", ["namespace": "n", "query": "golden retriever Max", "k": 5])
        guard case .array(let dogHits)? = dogs["hits"] else { Issue.record("no hits"); return }
        #expect(dogHits.compactMap { $0["id"]?.stringValue }.filter { [a1, a2, a3].contains($0) } == [a1])

        // Idempotent: a second run finds nothing to do.
        let again = try h.result("consolidate.run", ["namespace": "n", "steps": ["dedupe", "merge", "supersede"]])
        #expect(again["report"]?["steps"]?["merge"]?["changed"] == 0 && again["report"]?["steps"]?["supersede"]?["changed"] == 0)

        // Undo restores the exact previous state (as new versions) and removes the links.
        let undo = try h.result("consolidate.undo", ["run_id": .string(runID)])
        #expect(undo["undo"]?["skipped"] == 0)
        // Everything but access counts (recalls since the run are real uses) is as before.
        func withoutAccess(_ s: [String: JSONValue]) -> [String: JSONValue] {
            s.mapValues { .object(($0.objectValue ?? [:]).filter { $0.key != "access" }) }
        }
        #expect(withoutAccess(try snapshot(h)) == withoutAccess(before))
        // The merge's added access count is taken back; uses since stay.
        let accessesSince = try snapshot(h)[a1]?["access"]?.intValue ?? -1
        #expect(accessesSince >= 0 && accessesSince < 1 + 5)
        let afterUndo = try h.result("memory.recall", ["namespace": "n", "query": "Does Melanie like green tea?", "k": 3])
        guard case .array(let undoneHits)? = afterUndo["hits"] else { Issue.record("no hits"); return }
        #expect(undoneHits.allSatisfy { $0["conflicts_with"] == nil })
        #expect(try h.result("consolidate.report", ["run_id": .string(runID)])["report"]?["state"] == "undone")
        #expect(errorField(try h.call("consolidate.undo", ["run_id": .string(runID)])) == "params.run_id")
        guard case .array(let history)? = try h.result("memory.history", ["namespace": "n", "id": .string(a2)])["versions"] else {
            Issue.record("no history")
            return
        }
        #expect(history.map { $0["operation"] } == ["add", "consolidate:merge", "consolidate:undo"])
    }

    @Test func newerFactsCloseOlderOnesAndRecallPrefersTheCurrentOne() throws {
        let h = try Harness()
        let paris = try add(h, "Caroline lives in Paris", ["attributes": ["key": "caroline.home"], "occurred_at": "2020-01-01T00:00:00Z"])
        let berlin = try add(h, "Caroline lives in Berlin", ["attributes": ["key": "caroline.home"], "occurred_at": "2023-06-01T00:00:00Z"])
        let job = try add(h, "Caroline works as a counselor", [
            "attributes": ["subject": "Caroline", "predicate": "works as"], "occurred_at": "2021-01-01T00:00:00Z",
        ])
        let newJob = try add(h, "Caroline works as a painter", [
            "attributes": ["subject": "caroline", "predicate": "Works as"], "occurred_at": "2022-01-01T00:00:00Z",
        ])
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["supersede"]])
        #expect(run["report"]?["steps"]?["supersede"]?["changed"] == 2)
        #expect(try state(h, paris)?["valid_to"] == "2023-06-01T00:00:00.000Z")
        #expect(try state(h, paris)?["state"] == "active")  // still there, for "where did she live before?"
        #expect(try state(h, berlin)?["valid_to"] == nil)
        #expect(try state(h, job)?["valid_to"] == "2022-01-01T00:00:00.000Z")
        #expect(try state(h, newJob)?["valid_to"] == nil)
        let now = try h.result("memory.recall", ["namespace": "n", "query": "Where does Caroline live?", "k": 2])
        #expect(now["hits"]?[0]?["id"]?.stringValue == berlin)
        #expect(now["hits"]?[1]?["valid_to"] == "2023-06-01T00:00:00.000Z")
        // Asked about 2021, the Paris fact was still valid: no penalty.
        let then = try h.result("memory.recall", [
            "namespace": "n", "query": "Where does Caroline live?", "k": 2, "reference_time": "2021-03-01T00:00:00Z", "explain": true,
        ])
        guard case .array(let hits)? = then["hits"] else { Issue.record("no hits"); return }
        #expect(hits.allSatisfy { $0["explain"]?["boosts"]?["ended"] == nil })
        #expect(try h.result("consolidate.run", ["namespace": "n", "steps": ["supersede"]])["report"]?["steps"]?["supersede"]?["changed"] == 0)
    }

    @Test func sessionsGetOneSummaryKeptUpToDate() throws {
        var settings = ConsolidationSettings()
        settings.summaryMinMembers = 5
        let h = try Harness(consolidation: settings)
        let topics = ["hiking in the Alps", "a new painting of the lake", "her daughter's recital", "adopting a cat",
                      "the charity run", "a camping trip"]
        var members: [String] = []
        for topic in topics.prefix(5) {
            members.append(try add(h, "Melanie talked about \(topic)", ["session": "s1"]))
        }
        _ = try add(h, "Too few to summarize", ["session": "s2"])
        let dry = try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"], "dry_run": true])
        #expect(dry["report"]?["steps"]?["summarize"]?["changed"] == 1)
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"]])
        #expect(run["report"]?["steps"]?["summarize"]?["changed"] == 1)
        guard case .array(let summaries)? = try h.result("memory.list", ["namespace": "n", "filter": ["tags": ["summary"]]])["memories"]
        else { Issue.record("no list"); return }
        let summary = try #require(summaries.first)
        #expect(summaries.count == 1)
        #expect(summary["attributes"]?["summary_of"] == "session:s1")
        #expect(Set((summary["derived_from"]?.arrayValue ?? []).compactMap(\.stringValue)) == Set(members))
        #expect(summary["text"]?.stringValue?.contains("Melanie talked about") == true)
        guard case .array(let versions)? = try h.result("memory.history", ["namespace": "n", "id": summary["id"]!])["versions"] else {
            Issue.record("no history")
            return
        }
        #expect(versions.first?["operation"] == "consolidate:summarize")
        // Recall never gives a summary a hit's place; it comes beside the hits, or as a hit when asked for by tag.
        let recall = try h.result("memory.recall", ["namespace": "n", "query": "What did Melanie talk about?", "k": 10])
        #expect(recall["hits"]?.arrayValue?.contains { $0["id"] == summary["id"] } == false)
        #expect(recall["summaries"]?[0]?["id"] == summary["id"])
        let tagged = try h.result("memory.recall", ["namespace": "n", "query": "What did Melanie talk about?", "filter": ["tags": ["summary"]]])
        #expect(tagged["hits"]?[0]?["id"] == summary["id"])
        #expect(try h.result("memory.recall", ["namespace": "n", "query": "Melanie", "summaries": 0])["summaries"] == nil)
        // Nothing changed: nothing to do. A new member: the summary gets a new version.
        #expect(try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"]])["report"]?["steps"]?["summarize"]?["changed"] == 0)
        members.append(try add(h, "Melanie talked about \(topics[5])", ["session": "s1"]))
        #expect(try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"]])["report"]?["steps"]?["summarize"]?["changed"] == 1)
        let updated = try #require(try state(h, summary["id"]!.stringValue!))
        #expect(updated["version"] == 2)
        #expect(Set((updated["derived_from"]?.arrayValue ?? []).compactMap(\.stringValue)) == Set(members))
    }

    @Test func aChatEndpointWritesAbstractiveSummariesWithinItsTokenBudget() throws {
        let server = try TinyHTTPServer { _ in (200, #"{"choices":[{"message":{"role":"assistant","content":"Melanie talked about her hobbies."}}],"usage":{"total_tokens":300}}"#)
        }
        defer { server.stop() }
        var settings = ConsolidationSettings()
        settings.summaryMinMembers = 2
        settings.chat = try ChatSummarizer(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "tiny", apiKey: nil, backoff: 0.01)
        settings.chatTokenBudget = 500  // one summary's worth
        let h = try Harness(consolidation: settings)
        for session in ["s1", "s2"] {
            for topic in ["hiking", "painting"] { _ = try add(h, "Melanie talked about \(topic) in \(session)", ["session": .string(session)]) }
        }
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"]])
        #expect(run["report"]?["steps"]?["summarize"]?["changed"] == 2)
        #expect(server.requestCount == 1)
        let items = run["report"]?["steps"]?["summarize"]?["items"]?.arrayValue ?? []
        #expect(items.contains { $0.stringValue?.contains("token budget (500) spent") == true })
        let listed = try h.result("memory.list", ["namespace": "n", "filter": ["tags": ["summary"]]])["memories"]?.arrayValue ?? []
        let methods = listed.compactMap { $0["attributes"]?["method"]?.stringValue }.sorted()
        #expect(methods == ["abstractive", "extractive"])
        #expect(listed.contains { $0["text"] == "Melanie talked about her hobbies." && $0["attributes"]?["model"] == "tiny" })
    }

    @Test func memoriesWithoutASessionAreSummarizedByTheNameTheyMention() throws {
        var settings = ConsolidationSettings()
        settings.summaryMinMembers = 3
        let h = try Harness(consolidation: settings)
        for text in ["Jon opened a dance studio", "Jon teaches salsa on Fridays", "Jon sold his old car"] { _ = try add(h, text) }
        for text in ["The weather was cold", "Gina bought a plant"] { _ = try add(h, text) }
        let run = try h.result("consolidate.run", ["namespace": "n", "steps": ["summarize"]])
        #expect(run["report"]?["steps"]?["summarize"]?["changed"] == 1)
        let listed = try h.result("memory.list", ["namespace": "n", "filter": ["tags": ["summary"]]])["memories"]?.arrayValue ?? []
        #expect(listed.count == 1 && listed.first?["attributes"]?["summary_of"] == "entity:jon")
        #expect(listed.first?["derived_from"]?.arrayValue?.count == 3)
    }

    @Test func revertRestoresAnEarlierVersionAndSaysWhatIsWrong() throws {
        let h = try Harness()
        let id = try add(h, "Jon owns a bakery", ["tags": ["work"]])
        _ = try h.result("memory.update", ["namespace": "n", "id": .string(id), "text": "Jon closed his bakery", "tags": ["past"]])
        _ = try h.result("memory.forget", ["namespace": "n", "id": .string(id)])
        let reverted = try h.result("memory.revert", ["namespace": "n", "id": .string(id), "to_version": 1])
        #expect(reverted["version"] == 4)
        let memory = try #require(try state(h, id))
        #expect(memory["state"] == "active" && memory["text"] == "Jon owns a bakery" && memory["tags"] == ["work"])
        let recall = try h.result("memory.recall", ["namespace": "n", "query": "Jon bakery"])
        #expect(recall["hits"]?[0]?["id"]?.stringValue == id)
        #expect(errorField(try h.call("memory.revert", ["namespace": "n", "id": .string(id), "to_version": 9])) == "params.to_version")
        #expect(errorField(try h.call("memory.revert", ["namespace": "n", "id": .string(id), "to_version": 4])) == "params.to_version")
        #expect(errorCode(try h.call("memory.revert", ["namespace": "n", "id": .string(id), "to_version": 2, "expected_version": 3])) != nil)
    }

    @Test func onlyNamespacesChangedSinceTheirLastRunUnlessAll() throws {
        let h = try Harness()
        _ = try add(h, "in n")
        _ = try add(h, "in m", namespace: "m")
        h.clock.advance(seconds: 1)
        let first = try h.result("consolidate.run", ["steps": ["dedupe"]])
        #expect(first["report"]?["namespaces"] == ["m", "n"])
        h.clock.advance(seconds: 1)
        let second = try h.result("consolidate.run", ["steps": ["dedupe"]])
        #expect(second["report"]?["namespaces"] == [] && second["report"]?["unchanged"] == ["m", "n"])
        _ = try add(h, "more in m", namespace: "m")
        // Written in the millisecond the next run starts: a change for that
        // run and (it cannot tell whether it saw it) for the next one, never lost.
        #expect(try h.result("consolidate.run", ["steps": ["dedupe"]])["report"]?["namespaces"] == ["m"])
        h.clock.advance(seconds: 1)
        #expect(try h.result("consolidate.run", ["steps": ["dedupe"]])["report"]?["namespaces"] == ["m"])
        h.clock.advance(seconds: 1)
        #expect(try h.result("consolidate.run", ["steps": ["dedupe"]])["report"]?["namespaces"] == [])
        #expect(try h.result("consolidate.run", ["steps": ["dedupe"], "all": true])["report"]?["namespaces"] == ["m", "n"])
        #expect(errorField(try h.call("consolidate.run", ["namespace": "n", "all": true])) == "params.all")
    }

    @Test func aStoppedRunResumesAtTheNextStartAndRecallWorksDuringARun() throws {
        let h = try Harness()
        var items: [JSONValue] = []
        for i in 0..<600 {
            let text = JSONValue.string("Note \(i): the quarterly report for project \(i) is due")
            items.append(["text": text])
            items.append(["text": text])
        }
        _ = try h.result("memory.add", ["namespace": "n", "items": .array(Array(items[..<600]))])
        _ = try h.result("memory.add", ["namespace": "n", "items": .array(Array(items[600...]))])
        let started = try h.result("consolidate.run", ["namespace": "n", "steps": ["dedupe", "merge"], "wait": false])
        let runID = try #require(started["run_id"]?.stringValue)
        var recalls = 0
        var current: JSONValue?
        for _ in 0..<5000 {
            let status = try h.result("consolidate.status", ["run_id": .string(runID)])["report"]
            current = status?["current"]
            if current == "merge", (status?["steps"]?["merge"]?["changed"]?.intValue ?? 0) > 10 { break }
            let recall = try h.result("memory.recall", ["namespace": "n", "query": "quarterly report project 7", "k": 3])
            if recall["hits"]?[0] != nil { recalls += 1 }
        }
        #expect(current == "merge")
        #expect(recalls > 0)
        h.service.stopConsolidation(timeout: 10)
        let stopped = try h.result("consolidate.report", ["run_id": .string(runID)])["report"]
        #expect(stopped?["state"] == "running")
        let merged = stopped?["steps"]?["merge"]?["changed"]?.intValue ?? 0
        #expect(merged > 0 && merged < 600)

        let restarted = try Harness(reopening: h)
        restarted.service.resumeConsolidationRuns(logger: Logger(level: .error))
        var report: JSONValue?
        for _ in 0..<1000 {
            report = try restarted.result("consolidate.status", ["run_id": .string(runID)])["report"]
            if report?["state"] != "running" { break }
            usleep(10_000)
        }
        #expect(report?["state"] == "done" && report?["resumed"] == 1)
        let counts = try restarted.store.stats().namespaces.first { $0.namespace == "n" }
        #expect(counts?.active == 600 && counts?.superseded == 600)
    }
}
