import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import MemAPI
import MemCube
import MemJSON
import MemStore
@testable import MemServer

/// A model runner subscribed to model "m" over a socket pair, in-process.
final class Runner {
    let fds: [Int32]
    let connection: ClientConnection

    init(_ h: Harness) throws {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        self.fds = fds
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        connection = ClientConnection(fd: fds[0], peer: h.peer)
        let frame = #"{"jsonrpc":"2.0","id":1,"method":"scheduler.subscribe","params":{"models":["m"]}}"#
        try #require(h.dispatcher.handle(frame: Array(frame.utf8), connection: connection) != nil)
    }

    /// Reads what memosd sent the runner (the subscribe reply, then notifications).
    func reader() -> LineReader { LineReader(fd: fds[1], maxFrameBytes: 1 << 20) }

    deinit { close(fds[0]); close(fds[1]) }
}

@Suite struct SchedulerAPITests {
    func add(_ h: Harness, _ text: String) throws -> JSONValue {
        try #require(try h.result("memory.add", ["namespace": "n", "text": .string(text)])["id"])
    }

    func tier(_ h: Harness, _ id: JSONValue) throws -> String? {
        try h.result("memory.get", ["namespace": "n", "id": id])["memory"]?["tier"]?.stringValue
    }

    @Test func touchedMemoriesGetHotAndAreLoggedWithTheirReason() throws {
        let h = try Harness()
        let hot = try add(h, "Caroline moved to Berlin"), cold = try add(h, "Melanie paints sunsets")
        #expect(try h.result("scheduler.touch", ["namespace": "n", "ids": [hot, hot]])["touched"] == 2)
        _ = try h.result("scheduler.touch", ["namespace": "n", "ids": [hot]])
        let tick = try h.result("scheduler.tick", [:])
        guard case .array(let moves)? = tick["moves"] else { Issue.record("no moves"); return }
        #expect(moves.count == 1)
        #expect(moves.first?["id"] == hot && moves.first?["to"] == "working")
        #expect(moves.first?["reason"]?.stringValue?.hasPrefix("hot") == true)
        #expect(try tier(h, hot) == "working" && tier(h, cold) == "active")
        // The working tier is held in RAM, and status says how much.
        #expect(h.store.residentUsage.marked == 1 && h.store.residentUsage.loaded == 1)
        let status = try h.result("scheduler.status", [:])
        #expect(status["tiers"]?["working"]?["count"] == 1 && status["tiers"]?["active"]?["count"] == 1)
        #expect(status["namespaces"]?["n"]?["working"]?["count"] == 1)
        #expect(status["budgets"]?["working"]?["count"] == 10_000)
        guard case .array(let events)? = status["events"] else { Issue.record("no events"); return }
        #expect(events.first?["id"] == hot && events.first?["from"] == "active")
        #expect(status["working_ram"]?["count"] == 1)
        _ = try h.result("scheduler.demote", ["namespace": "n", "id": hot])
        #expect(h.store.residentUsage.marked == 0)
    }

    /// Heat decays with the service's clock: weeks later the hot memory has
    /// cooled out of the working tier, and idle long enough it is archived.
    @Test func aHotMemoryCoolsAndIdleOnesGoToTheArchiveAsTimePasses() throws {
        let h = try Harness()
        let hot = try add(h, "Caroline moved to Berlin")
        let idle = try #require(try h.result("memory.add", ["namespace": "n", "text": "Melanie paints sunsets", "importance": 0])["id"])
        _ = try h.result("scheduler.touch", ["namespace": "n", "ids": [hot, hot, hot]])
        _ = try h.result("scheduler.tick", [:])
        #expect(try tier(h, hot) == "working")
        h.clock.advance(seconds: 8 * 7 * 86_400)  // eight half-lives
        let moves = try #require(try h.result("scheduler.tick", [:])["moves"]?.arrayValue)
        #expect(moves.contains { $0["id"] == hot && $0["from"] == "working" })
        #expect(moves.contains { $0["id"] == idle && $0["to"] == "archive" })
        let archived = try h.result("memory.list", ["namespace": "n", "filter": ["tier": "archive"]])["memories"]?.arrayValue
        #expect(archived?.map { $0["id"] } == [idle])
    }

    /// A dispatched job that is not completed in time goes to the next runner.
    @Test func aJobPastItsDeadlineIsDispatchedAgain() throws {
        let h = try Harness()
        let source = try add(h, "Caroline moved to Berlin")
        let runner = try Runner(h)
        _ = try h.result("scheduler.touch", ["namespace": "n", "ids": [source, source, source]])
        _ = try h.result("scheduler.tick", [:])
        var reader = runner.reader()
        func job() throws -> JSONValue? {
            while case .line(let line) = try reader.next() {
                let message = try JSONDecoder().decode(JSONValue.self, from: Data(line))
                if message["method"] == "scheduler.job" { return message["params"] }
            }
            return nil
        }
        let first = try #require(try job())
        #expect(first["attempt"] == 1)
        h.clock.advance(seconds: 299)
        _ = try h.result("scheduler.tick", [:])
        h.clock.advance(seconds: 2)  // past the 300 s deadline
        _ = try h.result("scheduler.tick", [:])
        let second = try #require(try job())
        #expect(second["job_id"] == first["job_id"] && second["attempt"] == 2)
    }

    @Test func explicitMovesPinsAndTheArchiveInRecall() throws {
        let h = try Harness()
        let id = try add(h, "the spare key is under the blue flowerpot")
        #expect(try h.result("scheduler.demote", ["namespace": "n", "id": id])["to"] == "archive")
        // Archived: out of recall unless asked, still there for get.
        func hits(_ extra: [String: JSONValue] = [:]) throws -> Int {
            var params: [String: JSONValue] = ["namespace": "n", "query": "where is the spare key"]
            for (key, value) in extra { params[key] = value }
            guard case .array(let list)? = try h.result("memory.recall", .object(params))["hits"] else { return -1 }
            return list.count
        }
        #expect(try hits() == 0)
        #expect(h.index.count(namespace: "n") == 0)  // out of the vector index
        #expect(try hits(["include_archive": true]) == 1)  // the keyword signal still finds it
        #expect(try tier(h, id) == "archive")
        // Pinned, it stays where it is even when the planner would move it.
        #expect(try h.result("scheduler.pin", ["namespace": "n", "id": id])["pinned"] == true)
        for _ in 0..<5 { _ = try h.result("scheduler.touch", ["namespace": "n", "ids": [id]]) }
        _ = try h.result("scheduler.tick", [:])
        #expect(try tier(h, id) == "archive")
        _ = try h.result("scheduler.unpin", ["namespace": "n", "id": id])
        _ = try h.result("scheduler.tick", [:])
        #expect(try tier(h, id) == "active")  // used again: back from the archive
        #expect(h.index.count(namespace: "n") == 1)
        #expect(try h.result("scheduler.promote", ["namespace": "n", "id": id, "tier": "working"])["to"] == "working")
        let wrong = try h.call("scheduler.promote", ["namespace": "n", "id": id, "tier": "archive"])
        #expect(wrong["error"]?["data"]?["field"] == "params.tier")
        let top = try h.call("scheduler.promote", ["namespace": "n", "id": id])
        #expect(top["error"]?["message"]?.stringValue?.contains("highest") == true)
    }

    @Test func aWorkingActivationKeepsItsPayloadInRAM() throws {
        let h = try Harness()
        let bytes = kvSnapshot(layers: 2, heads: 2, tokens: 8, headDim: 8)
        let id = try #require(try h.result("memory.add", [
            "namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "data": .string(Data(bytes).base64EncodedString()),
        ])["id"])
        _ = try h.result("scheduler.promote", ["namespace": "n", "id": id, "tier": "working"])
        #expect(h.store.blobs.heldUsage == (count: 1, bytes: bytes.count))
        #expect(h.store.residentUsage.bytes > bytes.count)
        _ = try h.result("scheduler.demote", ["namespace": "n", "id": id])
        #expect(h.store.blobs.heldUsage.count == 0)
        _ = try h.result("scheduler.promote", ["namespace": "n", "id": id, "tier": "working"])
        _ = try h.result("memory.forget", ["namespace": "n", "id": id, "purge": true])
        #expect(h.store.blobs.heldUsage.count == 0 && h.store.residentUsage.marked == 0)
    }

    @Test func recurringRecallSetsBecomeOneMaterializeJob() throws {
        let h = try Harness()
        for text in ["Caroline moved to Berlin", "Caroline likes Berlin in spring", "Berlin trip with Caroline", "Melanie paints"] {
            _ = try h.result("memory.add", ["namespace": "n", "text": .string(text)])
        }
        let runner = try Runner(h)
        for _ in 0..<3 { _ = try h.result("memory.recall", ["namespace": "n", "query": "Caroline Berlin", "k": 3]) }
        _ = try h.result("scheduler.tick", [:])
        var reader = runner.reader()
        var sizes: [Int] = []
        while sizes.count < 4, case .line(let line) = try reader.next() {
            let message = try JSONDecoder().decode(JSONValue.self, from: Data(line))
            guard case .array(let memories)? = message["params"]?["memories"] else { continue }
            sizes.append(memories.count)
        }
        // One job per memory that turned hot, and one for the three recalled together.
        #expect(sizes.sorted() == [1, 1, 1, 3])
    }
}
