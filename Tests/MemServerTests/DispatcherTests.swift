import Foundation
import Testing
import Synchronization
import Consolidation
import MemAPI
import MemCube
import MemJSON
import MemScheduler
import MemStore
import Retrieval
@testable import MemServer

/// A service over a fresh database, driven in-process through the dispatcher.
final class Harness {
    let directory: String
    let store: SQLiteStore
    let index: ExactIndex
    let dispatcher: Dispatcher
    let service: MemoryService
    let peer = PeerCredentials(pid: 4242, uid: 1000, gid: 1000)
    /// The service's time: it moves only when a test moves it.
    let clock: ManualClock
    /// False for a harness reopening another's directory (that one removes it).
    private let owner: Bool

    init(
        maxBatch: Int = 1000, embedder: any Embedder = HashingEmbedder(), planner: TierPlanner = TierPlanner(),
        consolidation: ConsolidationSettings = ConsolidationSettings(), reopening other: Harness? = nil,
        rerank: Rerank = Rerank()
    ) throws {
        owner = other == nil
        clock = other?.clock ?? ManualClock(.now())
        directory = other?.directory ?? NSTemporaryDirectory() + "memos-dispatch-\(UUID().uuidString)"
        // The data directory is a subdirectory, so that tests' own files beside it are the client's.
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory + "/data/memos.db")
        index = ExactIndex(dimension: embedder.dimension)
        var limits = Limits()
        limits.maxBatchItems = maxBatch
        let keywords = KeywordIndex()
        if other != nil {
            _ = try MemoryService.buildIndex(index, from: store, embedder: embedder)
            _ = try MemoryService.buildKeywordIndex(keywords, from: store)
        }
        service = try MemoryService(
            store: store, index: index, keywords: keywords, embedder: embedder, accessLog: AccessLog(), limits: limits,
            planner: planner, consolidationSettings: consolidation, rerank: rerank, clock: clock.clock, daemonUID: peer.uid)
        dispatcher = service.dispatcher(logger: Logger(level: .error))
    }

    deinit { if owner { try? FileManager.default.removeItem(atPath: directory) } }

    /// Sends a raw frame; returns the decoded response (nil for no reply).
    func raw(_ text: String, as caller: PeerCredentials? = nil) throws -> JSONValue? {
        guard let reply = dispatcher.handle(frame: Array(text.utf8), peer: caller ?? peer) else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: Data(reply))
    }

    /// `caller`: another client than the daemon's own user.
    func call(_ method: String, _ params: JSONValue, as caller: PeerCredentials? = nil) throws -> JSONValue {
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
        let text = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        return try #require(try raw(text, as: caller))
    }

    func result(_ method: String, _ params: JSONValue, as caller: PeerCredentials? = nil) throws -> JSONValue {
        let response = try call(method, params, as: caller)
        if let error = response["error"] { Issue.record("unexpected error: \(error)") }
        return try #require(response["result"])
    }

    /// Everything stored, as a fingerprint: row counts of every table.
    func fingerprint() throws -> [Int64] {
        let db = try Connection(path: directory + "/data/memos.db")
        return try ["cubes", "cube_versions", "cube_vectors", "audit"].map {
            try db.scalarInt("SELECT count(*) FROM \($0)") ?? -1
        } + [try db.scalarInt("SELECT total(version) FROM cubes") ?? -1]
    }
}

func errorCode(_ response: JSONValue) -> Int64? {
    if case .int(let code)? = response["error"]?["code"] { return code }
    return nil
}

func errorField(_ response: JSONValue) -> String? {
    response["error"]?["data"]?["field"]?.stringValue
}

@Suite struct DispatcherTests {
    @Test func addRecallGetUpdateHistoryForget() throws {
        let h = try Harness()
        let added = try h.result("memory.add", ["namespace": "n", "text": "Caroline moved to Berlin in 2022", "tags": ["travel"]])
        let id = try #require(added["id"]?.stringValue)
        #expect(added["version"] == .int(1))
        let recall = try h.result("memory.recall", ["namespace": "n", "query": "Where does Caroline live?", "explain": true])
        guard case .array(let hits)? = recall["hits"] else { Issue.record("no hits"); return }
        #expect(hits.first?["id"]?.stringValue == id)
        #expect(hits.first?["signals"]?["keyword"]?["weight"] == .double(1) || hits.first?["signals"]?["keyword"]?["weight"] == .int(1))
        // explain also says where the time went; the steps add up to the total.
        let timings = try #require(recall["timings_ms"]?.objectValue)
        let steps = ["embed", "vector", "keyword", "graph", "load", "fusion"].compactMap { timings[$0]?.doubleValue }
        #expect(steps.count == 6 && steps.allSatisfy { $0 >= 0 })
        #expect(abs(steps.reduce(0, +) - (timings["total"]?.doubleValue ?? -1)) < 1e-6)
        #expect(try h.result("memory.recall", ["namespace": "n", "query": "Caroline"])["timings_ms"] == nil)
        let updated = try h.result("memory.update", ["namespace": "n", "id": .string(id), "text": "Caroline moved to Munich", "expected_version": 1])
        #expect(updated["version"] == .int(2))
        let conflict = try h.call("memory.update", ["namespace": "n", "id": .string(id), "importance": 0.9, "expected_version": 1])
        #expect(errorCode(conflict) == Int64(ErrorCode.versionConflict.rawValue))
        let got = try h.result("memory.get", ["namespace": "n", "id": .string(id)])
        #expect(got["memory"]?["text"] == "Caroline moved to Munich")
        let old = try h.result("memory.get", ["namespace": "n", "id": .string(id), "version": 1])
        #expect(old["version"]?["text"] == "Caroline moved to Berlin in 2022")
        let history = try h.result("memory.history", ["namespace": "n", "id": .string(id)])
        guard case .array(let versions)? = history["versions"] else { Issue.record("no versions"); return }
        #expect(versions.map { $0["operation"] } == ["add", "update"])
        #expect(versions.first?["peer_uid"] == .int(1000))
        #expect(try h.result("memory.forget", ["namespace": "n", "id": .string(id)])["forgotten"] == .int(1))
        let after = try h.result("memory.recall", ["namespace": "n", "query": "Caroline Munich"])
        #expect(after["hits"] == .array([]))
    }

    @Test func batchAddReturnsIDsInOrder() throws {
        let h = try Harness()
        let result = try h.result("memory.add", ["namespace": "n", "items": [["text": "one"], ["text": "two", "importance": 1]]])
        guard case .array(let ids)? = result["ids"] else { Issue.record("no ids"); return }
        #expect(ids.count == 2)
        #expect(h.index.count(namespace: "n") == 2)
    }

    @Test func namespacesAreIsolated() throws {
        let h = try Harness()
        let id = try #require(try h.result("memory.add", ["namespace": "alice", "text": "alice's secret plan"])["id"]?.stringValue)
        #expect(try h.result("memory.recall", ["namespace": "bob", "query": "secret plan"])["hits"] == .array([]))
        #expect(errorCode(try h.call("memory.get", ["namespace": "bob", "id": .string(id)])) == Int64(ErrorCode.notFound.rawValue))
        #expect(errorCode(try h.call("memory.forget", ["namespace": "bob", "id": .string(id), "purge": true])) == Int64(ErrorCode.notFound.rawValue))
        #expect(errorCode(try h.call("memory.update", ["namespace": "bob", "id": .string(id), "text": "hijacked"])) == Int64(ErrorCode.notFound.rawValue))
        #expect(try h.result("memory.list", ["namespace": "bob"])["memories"] == .array([]))
        #expect(try h.result("memory.get", ["namespace": "alice", "id": .string(id)])["memory"]?["text"] == "alice's secret plan")
    }

    /// Each bad request gets the exact code (and field), and nothing stored changes.
    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"ok"#, ErrorCode.parseError, nil as String?),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"\ud83d"}}"#, .parseError, nil),
        (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), .parseError, nil),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"n","query":"x","k":2.5}}"#, .invalidParams, "params.k"),
        (#"[]"#, .invalidRequest, nil),
        (#""just a string""#, .invalidRequest, nil),
        (#"{"jsonrpc":"1.0","id":1,"method":"memory.add"}"#, .invalidRequest, "jsonrpc"),
        (#"{"jsonrpc":"2.0","id":1,"method":7}"#, .invalidRequest, "method"),
        (#"{"jsonrpc":"2.0","id":{"x":1},"method":"memory.add"}"#, .invalidRequest, "id"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.nope","params":{}}"#, .methodNotFound, "method"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":[1,2]}"#, .invalidParams, "params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"text":"no namespace"}}"#, .invalidParams, "params.namespace"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n"}}"#, .invalidParams, "params.text"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":42}}"#, .invalidParams, "params.text"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"x","importance":"high"}}"#, .invalidParams, "params.importance"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"x","importance":2}}"#, .invalidParams, "params.importance"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"x","tags":"a"}}"#, .invalidParams, "params.tags"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"x","tgas":["a"]}}"#, .invalidParams, "params.tgas"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"bad space","text":"x"}}"#, .invalidParams, "params.namespace"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","text":"x","occurred_at":"last tuesday"}}"#, .invalidParams, "params.occurred_at"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","items":[{"text":"fine"},{"text":""}]}}"#, .invalidParams, "params.items[1].text"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.add","params":{"namespace":"n","items":[]}}"#, .invalidParams, "params.items"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"n","query":"x","k":0}}"#, .invalidParams, "params.k"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"n","query":"x","weights":{"magic":1}}}"#, .invalidParams, "params.weights.magic"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.get","params":{"namespace":"n","id":"not-an-id"}}"#, .invalidParams, "params.id"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.get","params":{"namespace":"n","id":"01M80CGJ2M0RH27A1HHR8XBA69"}}"#, .notFound, "params.id"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.forget","params":{"namespace":"n"}}"#, .invalidParams, "params.id"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.update","params":{"namespace":"n","id":"01M80CGJ2M0RH27A1HHR8XBA69"}}"#, .invalidParams, "params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"memory.list","params":{"namespace":"n","filter":{"state":"zombie"}}}"#, .invalidParams, "params.filter.state"),
    ])
    func badInputGetsTheExactErrorAndChangesNothing(frame: String, code: ErrorCode, field: String?) throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "text": "existing memory"])
        let before = try h.fingerprint()
        let response = try #require(try h.raw(frame))
        #expect(errorCode(response) == Int64(code.rawValue), "\(response)")
        #expect(response["error"]?["data"]?["name"]?.stringValue == code.name)
        if let field { #expect(errorField(response) == field, "\(response)") }
        #expect(try h.fingerprint() == before)
    }

    @Test func numbersOutOfShapeSayWhatIsExpected() throws {
        let h = try Harness()
        let fraction = try #require(try h.raw(#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"n","query":"x","k":2.5}}"#))
        #expect(fraction["error"]?["message"]?.stringValue == "params.k must be an integer")
        let huge = try #require(try h.raw(#"{"jsonrpc":"2.0","id":1,"method":"memory.recall","params":{"namespace":"n","query":"x","k":1e30}}"#))
        #expect(huge["error"]?["data"]?["field"]?.stringValue == "params.k")
        #expect(huge["error"]?["message"]?.stringValue?.contains("must be an integer from") == true, "\(huge)")
    }

    @Test func hugeBatchIsRejectedWhole() throws {
        let h = try Harness(maxBatch: 10)
        let items = JSONValue.array((0..<11).map { ["text": .string("memory \($0)")] })
        let response = try h.call("memory.add", ["namespace": "n", "items": items])
        #expect(errorCode(response) == Int64(ErrorCode.payloadTooLarge.rawValue))
        #expect(response["error"]?["data"]?["limit"] == .int(10))
        #expect(try h.fingerprint() == [0, 0, 0, 0, 0])
    }

    @Test func batchesAndNotifications() throws {
        let h = try Harness()
        #expect(try h.raw(#"{"jsonrpc":"2.0","method":"system.health"}"#) == nil)
        let reply = try #require(try h.raw(#"[{"jsonrpc":"2.0","id":1,"method":"system.health"},{"jsonrpc":"2.0","method":"system.health"},{"jsonrpc":"2.0","id":"b","method":"nope"}]"#))
        guard case .array(let responses) = reply else { Issue.record("not an array"); return }
        #expect(responses.count == 2)
        #expect(responses[0]["result"]?["status"] == "ok")
        #expect(responses[1]["id"] == "b")
        #expect(errorCode(responses[1]) == Int64(ErrorCode.methodNotFound.rawValue))
    }

    @Test func purgedMemoriesAnswerGone() throws {
        let h = try Harness()
        let id = try #require(try h.result("memory.add", ["namespace": "n", "text": "temporary secret"])["id"]?.stringValue)
        #expect(try h.result("memory.forget", ["namespace": "n", "ids": [.string(id)], "purge": true])["forgotten"] == .int(1))
        #expect(errorCode(try h.call("memory.get", ["namespace": "n", "id": .string(id)])) == Int64(ErrorCode.gone.rawValue))
        #expect(errorCode(try h.call("memory.history", ["namespace": "n", "id": .string(id)])) == Int64(ErrorCode.gone.rawValue))
    }

    @Test func recallFiltersByTagsSessionAndTime() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "n", "items": [
            ["text": "hiking trip to the Alps", "tags": ["travel"], "session": "s1", "occurred_at": "2023-05-08T10:00:00Z"],
            ["text": "hiking boots bought online", "tags": ["shopping"], "session": "s2", "occurred_at": "2023-07-01T10:00:00Z"],
        ]])
        func texts(_ filter: JSONValue) throws -> [JSONValue?] {
            guard case .array(let hits)? = try h.result("memory.recall", ["namespace": "n", "query": "hiking", "filter": filter])["hits"] else { return [] }
            return hits.map { $0["text"] }
        }
        #expect(try texts(["tags": ["travel"]]) == ["hiking trip to the Alps"])
        #expect(try texts(["session": "s2"]) == ["hiking boots bought online"])
        #expect(try texts(["since": "2023-06-01"]) == ["hiking boots bought online"])
        #expect(try texts(["until": "2023-06-01"]) == ["hiking trip to the Alps"])
    }

    @Test func ttlMustBePositive() throws {
        let h = try Harness()
        let response = try h.call("memory.add", ["namespace": "n", "text": "x", "ttl_seconds": -5])
        #expect(errorField(response) == "params.ttl_seconds")
    }

    @Test func aMemoryLeavesEveryReadWhenItsTTLPasses() throws {
        let h = try Harness()
        let id = try #require(try h.result("memory.add", ["namespace": "n", "text": "the door code is 4711", "ttl_seconds": 60])["id"])
        _ = try h.result("memory.add", ["namespace": "n", "text": "the door is green"])
        let visible = { () throws -> (recall: Int, list: Int, get: Bool) in
            let hits = try h.result("memory.recall", ["namespace": "n", "query": "door code"])["hits"]?.arrayValue ?? []
            let listed = try h.result("memory.list", ["namespace": "n"])["memories"]?.arrayValue ?? []
            let got = try h.call("memory.get", ["namespace": "n", "id": id])["result"] != nil
            return (hits.filter { $0["id"] == id }.count, listed.filter { $0["id"] == id }.count, got)
        }
        h.clock.advance(seconds: 59)
        #expect(try visible() == (1, 1, true))
        h.clock.advance(seconds: 2)
        #expect(try visible() == (0, 0, false))
        #expect(try h.fingerprint()[0] == 2)  // hidden, not deleted: consolidation's expire step forgets it
    }

    @Test func anEmbedderOutageIsUnavailableAndStoresNothing() throws {
        struct Down: Embedder {
            let id = "down"
            let dimension = 4
            func embed(_ texts: [String]) throws -> [[Float]] {
                throw EmbedderError.unreachable(url: "http://127.0.0.1:9/v1/embeddings", reason: "connection refused")
            }
        }
        let h = try Harness(embedder: Down())
        let response = try h.call("memory.add", ["namespace": "n", "text": "will not be stored"])
        #expect(errorCode(response) == Int64(ErrorCode.unavailable.rawValue))
        #expect(response["error"]?["message"]?.stringValue?.contains("unreachable") == true)
        #expect(try h.fingerprint() == [0, 0, 0, 0, 0])
    }

    @Test func recallWithTheEmbedderDownAnswersFromTheOtherSignalsAndSaysSo() throws {
        final class Flaky: Embedder, @unchecked Sendable {
            let id = HashingEmbedder().id
            let dimension = HashingEmbedder().dimension
            let down = Atomic<Bool>(false)
            func embed(_ texts: [String]) throws -> [[Float]] {
                if down.load(ordering: .relaxed) {
                    throw EmbedderError.unreachable(url: "http://127.0.0.1:9/v1/embeddings", reason: "connection refused")
                }
                return HashingEmbedder().embed(texts)
            }
        }
        let embedder = Flaky()
        let h = try Harness(embedder: embedder)
        _ = try h.result("memory.add", ["namespace": "n", "text": "the door code is 4711"])
        _ = try h.result("memory.add", ["namespace": "n", "text": "lunch is at noon"])
        #expect(try h.result("memory.recall", ["namespace": "n", "query": "door code"])["degraded"] == nil)
        embedder.down.store(true, ordering: .relaxed)
        // The same question again needs no model (QueryEmbeddingCache); a new one does.
        #expect(try h.result("memory.recall", ["namespace": "n", "query": "door code"])["degraded"] == nil)
        let result = try h.result("memory.recall", ["namespace": "n", "query": "what is the door code"])
        #expect(result["hits"]?[0]?["text"] == "the door code is 4711")
        let notes = result["degraded"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(notes.count == 1 && notes[0].hasPrefix("vector:") && notes[0].contains("unreachable"))
        // Writes still fail clearly.
        #expect(errorCode(try h.call("memory.add", ["namespace": "n", "text": "x"])) == Int64(ErrorCode.unavailable.rawValue))
    }
}
