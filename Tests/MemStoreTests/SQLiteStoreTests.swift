import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore

@Suite struct SQLiteStoreTests {
    let now = Timestamp(millis: 2_000_000)

    @Test func addThenGetReturnsWhatWasStored() throws {
        let t = try TempStore()
        var seen: [StoredCube] = []
        let new = makeCube("Caroline moved to Berlin", tags: ["travel"], agent: "bot")
        let stored = try t.store.add([new]) { seen = $0 }
        #expect(seen.map(\.key) == stored.map(\.key))
        let got = try t.store.get(namespace: "ns", id: new.cube.id, now: now)
        var expected = new.cube
        // The peer's credentials are kept per version, not on the current row.
        expected.provenance.peerUID = nil
        expected.provenance.peerPID = nil
        #expect(got.cube == expected)
        let history = try t.store.history(namespace: "ns", id: new.cube.id)
        #expect(history.count == 1)
        #expect(history[0].provenance.peerUID == 1000)
        #expect(history[0].provenance.operation == .add)
    }

    @Test func namespacesNeverSeeEachOther() throws {
        let t = try TempStore()
        let a = makeCube("secret of alice", namespace: "alice")
        _ = try t.store.add([a, makeCube("secret of bob", namespace: "bob")]) { _ in }
        #expect(throws: StoreError.notFound(a.cube.id)) { try t.store.get(namespace: "bob", id: a.cube.id, now: now) }
        #expect(try t.store.list(namespace: "bob", filter: CubeFilter(), limit: 10, cursor: nil, now: now).cubes.count == 1)
        #expect(throws: StoreError.notFound(a.cube.id)) {
            try t.store.forget(namespace: "bob", ids: [a.cube.id], purge: true, provenance: Provenance(operation: .purge), at: now) { _ in }
        }
        #expect(try t.store.get(namespace: "alice", id: a.cube.id, now: now).cube.text == "secret of alice")
    }

    @Test func updateWritesANewVersionAndChecksTheExpectedVersion() throws {
        let t = try TempStore()
        let new = makeCube("likes tea")
        _ = try t.store.add([new]) { _ in }
        let updated = try t.store.update(
            namespace: "ns", id: new.cube.id, change: CubeChange(text: "likes coffee", tags: ["drinks"]), expectedVersion: 1,
            provenance: Provenance(agent: "bot", operation: .update), at: now) { _ in }
        #expect(updated.cube.version == 2)
        #expect(throws: StoreError.versionConflict(new.cube.id, expected: 1, actual: 2)) {
            try t.store.update(
                namespace: "ns", id: new.cube.id, change: CubeChange(importance: 1), expectedVersion: 1,
                provenance: Provenance(operation: .update), at: now) { _ in }
        }
        let versions = try t.store.history(namespace: "ns", id: new.cube.id)
        #expect(versions.map(\.text) == ["likes tea", "likes coffee"])
        #expect(versions.map(\.tags) == [[], ["drinks"]])
        #expect(try t.store.version(namespace: "ns", id: new.cube.id, version: 1).text == "likes tea")
        #expect(try texts(t) == ["likes coffee"])
    }

    @Test func softForgetKeepsHistoryAndLeavesEveryIndex() throws {
        let t = try TempStore()
        let new = makeCube("the door code is 4711")
        _ = try t.store.add([new]) { _ in }
        var removed: [Int64] = []
        let count = try t.store.forget(
            namespace: "ns", ids: [new.cube.id], purge: false, provenance: Provenance(operation: .forget), at: now
        ) { removed = $0 }
        #expect(count == 1 && removed.count == 1)
        #expect(try t.store.get(namespace: "ns", id: new.cube.id, now: now).cube.state == .forgotten)
        #expect(try texts(t).isEmpty)
        var vectors = 0
        try t.store.forEachVector { _ in vectors += 1 }
        #expect(vectors == 0)
        #expect(try t.store.history(namespace: "ns", id: new.cube.id).map(\.state) == [.active, .forgotten])
        // Idempotent: forgetting again changes nothing.
        #expect(try t.store.forget(namespace: "ns", ids: [new.cube.id], purge: false, provenance: Provenance(operation: .forget), at: now) { _ in } == 0)
        #expect(throws: StoreError.invalidState(new.cube.id, state: .forgotten, operation: "update")) {
            try t.store.update(namespace: "ns", id: new.cube.id, change: CubeChange(importance: 1), expectedVersion: nil,
                               provenance: Provenance(operation: .update), at: now) { _ in }
        }
    }

    @Test func purgeErasesContentAndKeepsOnlyTheFact() throws {
        let t = try TempStore()
        var new = makeCube("my password is hunter2", session: "s")
        new.entities = [Entity(key: "zebediah", display: "Zebediah", kind: .name), Entity(key: "shared", display: "Shared", kind: .name)]
        _ = try t.store.add([new]) { _ in }
        // A later memory of the same session indexes its neighbour's text as context...
        var next = makeCube("noted, I will keep it safe", session: "s", at: 1_000_001)
        next.entities = [Entity(key: "shared", display: "Shared", kind: .name)]
        _ = try t.store.add([next]) { _ in }
        #expect(try texts(t).count == 2)
        _ = try t.store.forget(namespace: "ns", ids: [new.cube.id], purge: true, provenance: Provenance(operation: .purge), at: now) { _ in }
        #expect(throws: StoreError.purged(new.cube.id)) { try t.store.get(namespace: "ns", id: new.cube.id, now: now) }
        // No trace of the text is left in any table.
        #expect(try texts(t) == ["noted, I will keep it safe"])
        let db = try Connection(path: t.directory + "/memos.db")
        for table in ["cubes", "cube_versions", "cube_vectors"] {
            #expect(try db.scalarInt("SELECT count(*) FROM \(table)") == 1, "\(table) holds more than the other memory")
            #expect(try db.scalarInt("SELECT count(*) FROM \(table) WHERE CAST(\(table == "cube_vectors" ? "vector" : "text") AS TEXT) LIKE '%hunter2%'") == 0)
        }
        // Entities only the purged memory named are gone; shared ones stay.
        #expect(try db.scalarInt("SELECT count(*) FROM entities WHERE key = 'zebediah'") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM entities WHERE key = 'shared'") == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM audit WHERE operation = 'purge'") == 1)
    }

    @Test func forgetIsAllOrNothing() throws {
        let t = try TempStore()
        let a = makeCube("a")
        _ = try t.store.add([a]) { _ in }
        let missing = CubeID.generate()
        #expect(throws: StoreError.notFound(missing)) {
            try t.store.forget(namespace: "ns", ids: [a.cube.id, missing], purge: false, provenance: Provenance(operation: .forget), at: now) { _ in }
        }
        #expect(try t.store.get(namespace: "ns", id: a.cube.id, now: now).cube.state == .active)
    }

    @Test func expiredCubesAreHiddenFromReads() throws {
        let t = try TempStore()
        let gone = makeCube("temporary", expiresAt: Timestamp(millis: 1_500_000))
        let kept = makeCube("permanent")
        _ = try t.store.add([gone, kept]) { _ in }
        #expect(throws: StoreError.expired(gone.cube.id)) { try t.store.get(namespace: "ns", id: gone.cube.id, now: now) }
        #expect(try t.store.list(namespace: "ns", filter: CubeFilter(), limit: 10, cursor: nil, now: now).cubes.map(\.id) == [kept.cube.id])
        // The keyword index gets the expiry time to hide it, like the vector index.
        var expiries: [Timestamp?] = []
        try t.store.forEachText { expiries.append($0.meta.expiresAt) }
        #expect(expiries == [gone.cube.expiresAt, nil])
        #expect(try t.store.cubes(namespace: "ns", keys: [1, 2], now: now).count == 1)
    }

    @Test func listPagesNewestFirstWithFilters() throws {
        let t = try TempStore()
        let cubes = (0..<7).map { i in
            makeCube("memory \(i)", tags: i % 2 == 0 ? ["even"] : [], session: i < 4 ? "s1" : "s2", at: 1_000_000 + Int64(i) * 1000)
        }
        _ = try t.store.add(cubes) { _ in }
        let first = try t.store.list(namespace: "ns", filter: CubeFilter(), limit: 3, cursor: nil, now: now)
        #expect(first.cubes.map(\.text) == ["memory 6", "memory 5", "memory 4"])
        let cursor = try #require(first.nextCursor.flatMap(CubeID.init))
        let second = try t.store.list(namespace: "ns", filter: CubeFilter(), limit: 10, cursor: cursor, now: now)
        #expect(second.cubes.map(\.text) == ["memory 3", "memory 2", "memory 1", "memory 0"])
        #expect(second.nextCursor == nil)
        let even = try t.store.list(namespace: "ns", filter: CubeFilter(tags: ["even"], session: "s1"), limit: 10, cursor: nil, now: now)
        #expect(even.cubes.map(\.text) == ["memory 2", "memory 0"])
        let window = CubeFilter(since: Timestamp(millis: 1_002_000), until: Timestamp(millis: 1_003_000))
        #expect(try t.store.list(namespace: "ns", filter: window, limit: 10, cursor: nil, now: now).cubes.count == 2)
    }

    @Test func writesSurviveReopening() throws {
        let t = try TempStore()
        let new = makeCube("durable")
        _ = try t.store.add([new]) { _ in }
        let reopened = try SQLiteStore(path: t.directory + "/memos.db")
        #expect(try reopened.get(namespace: "ns", id: new.cube.id, now: now).cube.text == "durable")
    }

    @Test func migrationsAreRecordedAndRunOnce() throws {
        let t = try TempStore()
        let db = try Connection(path: t.directory + "/memos.db")
        #expect(try Schema.migrator.migrate(db) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM schema_migrations") == Int64(Schema.migrator.migrations.count))
    }

    @Test func sqlErrorsCarryTheSQL() throws {
        let t = try TempStore()
        let db = try Connection(path: t.directory + "/memos.db")
        do {
            _ = try db.prepare("SELECT nope FROM nowhere")
            Issue.record("expected an error")
        } catch let error as SQLiteError {
            #expect(error.sql == "SELECT nope FROM nowhere")
            #expect(error.message.contains("no such table"))
        }
    }

    @Test func accessIsRecordedWithHeat() throws {
        let t = try TempStore()
        let new = makeCube("hot")
        let stored = try t.store.add([new]) { _ in }
        try t.store.recordAccess([AccessEvent(key: stored[0].key, hits: 3, at: now)]) { old, _, hits, _ in old + Double(hits) }
        let cube = try t.store.get(namespace: "ns", id: new.cube.id, now: now).cube
        #expect(cube.access.count == 3)
        #expect(cube.access.heat == 3)
        #expect(cube.access.lastAccess == now)
    }

    @Test func listsOfEveryLengthShareOneCachedStatement() throws {
        let t = try TempStore()
        let stored = try t.store.add((0..<300).map { makeCube("memory \($0)") }) { _ in }
        let keys = stored.map(\.key)
        let before = t.store.largestStatementCache
        for length in stride(from: 1, through: keys.count, by: 7) {
            let part = Array(keys.prefix(length))
            t.store.cache.invalidate(part)
            #expect(try t.store.cubes(namespace: "ns", keys: part, now: now).count == length)
            _ = try t.store.neighbors(keys: part)
            _ = try t.store.entities(ofKeys: part)
            _ = try t.store.vectorRecords(keys: part)
        }
        #expect(t.store.largestStatementCache <= before + 8)
    }
}

/// The texts `forEachText` hands the keyword index, in key order.
func texts(_ t: TempStore) throws -> [String] {
    var texts: [String] = []
    try t.store.forEachText { texts.append($0.text) }
    return texts
}
