import Foundation
import Testing
import MemAPI
import MemCube
import MemJSON
import MemStore
import MemTestSupport
@testable import MemServer

/// Namespace owners and shares, through the dispatcher as clients of
/// other uids (the harness's daemon runs as the harness's peer, uid 1000).
@Suite struct NamespaceAccessTests {
    let alice = PeerCredentials(pid: 11, uid: 2001, gid: 2001)
    let bob = PeerCredentials(pid: 12, uid: 2002, gid: 2002)

    func denied(_ response: JSONValue) -> Bool {
        response["error"]?["data"]?["name"] == "permission_denied"
    }

    /// Every recorded request (schemas/fixtures.json) replayed by a stranger
    /// on the daemon owner's namespace: each method that reads or writes a
    /// namespace, or is the daemon owner's, is refused, and nothing changes.
    @Test func everyNamespacedMethodRefusesAStranger() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "demo", "text": "the owner's secret is 7731"])
        let before = try h.fingerprint()
        var checked = Set<String>()
        for fixture in try recordedFixtures() {
            let method = try #require(fixture["method"]?.stringValue)
            guard let type = AllMethods.types.first(where: { $0.name == method }) else { continue }
            let params = fixture["params"] ?? .object([:])
            let needs = type.access
            guard needs == .read || needs == .write || needs == .daemonOwner else { continue }
            if needs != .daemonOwner, params["namespace"] != "demo" { continue }
            let response = try h.call(method, params, as: alice)
            #expect(denied(response), "\(method) as a stranger: \(response)")
            #expect(!"\(response)".contains("7731"))
            checked.insert(method)
        }
        #expect(checked.count >= 20, "fixtures covered \(checked.sorted())")
        #expect(try h.fingerprint() == before, "a refused request changed nothing")
    }

    @Test func ownersSharesAndTheirAudit() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "team", "text": "the team meets on Tuesdays"])
        // Alice writes her own namespace into being; the default namespace is the daemon user's.
        #expect(denied(try h.call("memory.add", ["namespace": "default", "text": "planted"], as: alice)))
        let mine = try h.result("memory.add", ["namespace": "alice", "text": "alice plans to learn Swift"], as: alice)
        #expect(mine["id"] != nil)
        #expect(try h.result("memory.recall", ["namespace": "alice", "query": "Swift"])["hits"]?.arrayValue?.count == 1)
        #expect(denied(try h.call("memory.recall", ["namespace": "alice", "query": "Swift"], as: bob)))
        #expect(denied(try h.call("memory.recall", ["namespace": "team", "query": "team"], as: alice)))
        // Shared to read: reads work, writes do not.
        _ = try h.result("namespace.share", ["namespace": "team", "uid": 2001])
        #expect(try h.result("memory.recall", ["namespace": "team", "query": "team"], as: alice)["hits"]?.arrayValue?.count == 1)
        let readOnly = try h.call("memory.add", ["namespace": "team", "text": "x"], as: alice)
        #expect(denied(readOnly) && "\(readOnly)".contains("read only"))
        // Only the owner (or the daemon's user) shares; nobody shares with the owner.
        #expect(denied(try h.call("namespace.share", ["namespace": "team", "uid": 2002], as: alice)))
        #expect(try h.call("namespace.share", ["namespace": "alice", "uid": 2001], as: alice)["error"]?["data"]?["field"] == "params.uid")
        #expect(try h.call("namespace.share", ["namespace": "nowhere", "uid": 2002])["error"]?["data"]?["name"] == "not_found")
        #expect(try h.call("namespace.share", ["namespace": "team", "uid": 2002, "access": "admin"])["error"]?["data"]?["field"] == "params.access")
        #expect(try h.call("namespace.share", ["namespace": "team", "uid": -1])["error"]?["data"]?["field"] == "params.uid")
        #expect(try h.call("namespace.share", ["namespace": "team", "uid": 4294967295])["error"]?["data"]?["field"] == "params.uid")
        // Read-write, then unshared.
        let upgraded = try h.result("namespace.share", ["namespace": "team", "uid": 2001, "access": "read-write"])
        #expect(upgraded["previous"] == "read")
        _ = try h.result("memory.add", ["namespace": "team", "text": "alice was here"], as: alice)
        #expect(try h.result("namespace.unshare", ["namespace": "team", "uid": 2001])["removed"] == "read-write")
        #expect(denied(try h.call("memory.list", ["namespace": "team"], as: alice)))
        // What each sees listed.
        let aliceList = try h.result("namespace.list", [:], as: alice)["namespaces"]?.arrayValue ?? []
        #expect(aliceList.map { $0["namespace"] } == ["alice"])
        #expect(aliceList.first?["access"] == "owner")
        let ownerList = try h.result("namespace.list", [:])["namespaces"]?.arrayValue ?? []
        #expect(Set(ownerList.compactMap { $0["namespace"]?.stringValue }) == ["alice", "default", "team"])
        // Stats and scheduler status show a stranger only its namespaces.
        let stats = try h.result("system.stats", [:], as: alice)
        #expect(stats["namespaces"]?.arrayValue?.compactMap { $0["namespace"]?.stringValue } == ["alice"])
        let status = try h.result("scheduler.status", [:], as: bob)
        #expect(status["namespaces"]?.objectValue?.isEmpty == true)
        // Consolidation: one's own namespace yes, every namespace no.
        #expect(try h.call("consolidate.run", ["namespace": "alice", "dry_run": true], as: alice)["result"] != nil)
        #expect(denied(try h.call("consolidate.run", ["all": true], as: alice)))
        #expect(denied(try h.call("consolidate.run", ["namespace": "team"], as: alice)))
        // Every share and unshare is in the audit log, with who did it.
        let db = try Connection(path: h.directory + "/data/memos.db")
        let rows = try db.prepare("SELECT operation, namespace, detail, peer_uid FROM audit WHERE operation IN ('share', 'unshare') ORDER BY seq")
            .query([], row: { [$0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? "", String($0.int64(3))] })
        #expect(rows == [
            ["share", "team", "uid 2001 read", "1000"], ["share", "team", "uid 2001 read-write", "1000"], ["unshare", "team", "uid 2001", "1000"],
        ])
    }

    @Test func ownersAndSharesSurviveARestart() throws {
        let h = try Harness()
        _ = try h.result("memory.add", ["namespace": "alice", "text": "alice's note"], as: alice)
        _ = try h.result("namespace.share", ["namespace": "alice", "uid": 2002], as: alice)
        let again = try Harness(reopening: h)
        #expect(try again.result("memory.list", ["namespace": "alice"], as: bob)["memories"]?.arrayValue?.count == 1)
        #expect(denied(try again.call("memory.add", ["namespace": "alice", "text": "x"], as: bob)))
    }

    /// docs/security.md's table says what each method's `access` declares.
    @Test func securityDocsTableFollowsTheDeclarations() throws {
        let docs = String(decoding: try Fixtures.data(atRelativePath: "docs/security.md"), as: UTF8.self)
        for type in AllMethods.types {
            #expect(docs.contains("| `\(type.name)` | \(type.access.rawValue) |"), "docs/security.md: \(type.name) is \(type.access.rawValue)")
        }
    }
}
