import Foundation
import Testing
import MemAPI
import MemJSON
#if canImport(Glibc)
import Glibc
#endif

/// Backup → restore and export → import through memctl and live daemons,
/// and a store missing a payload file: it starts, and doctor says so.
@Suite(.serialized) struct DataPortabilityTests {
    /// A store with versions, a forget, a link and an activation payload.
    func fill(_ daemon: LiveDaemon) throws -> (text: String, kv: String) {
        let kvFile = daemon.directory + "/kv.safetensors"
        _ = FileManager.default.createFile(atPath: kvFile, contents: Data(LiveDaemonTests.kvPayload(seed: 3)))
        let kv = try daemon.memctl(["add", "KV of the meeting", "--kind", "activation", "--file", kvFile, "--format", "safetensors", "--model", "llama"])
        #expect(kv.status == 0, "\(kv.err)")
        let a = try daemon.memctl(["add", "Caroline moved to Berlin", "--tag", "travel", "--session", "s1"]).out.split(separator: " ")[0]
        let b = try daemon.memctl(["add", "Melanie paints sunsets", "--session", "s1"]).out.split(separator: " ")[0]
        #expect(try daemon.memctl(["update", String(a), "--text", "Caroline moved to Munich"]).status == 0)
        #expect(try daemon.memctl(["link", String(a), String(b), "--type", "mentioned_with"]).status == 0)
        #expect(try daemon.memctl(["forget", String(b)]).status == 0)
        return (String(a), String(kv.out.split(separator: " ")[0]))
    }

    @Test func backupThenRestoreGivesTheSameStore() throws {
        let daemon = try LiveDaemon()
        let ids = try fill(daemon)
        let backup = daemon.directory + "/backup"
        let made = try daemon.memctl(["backup", backup])
        #expect(made.status == 0 && made.out.contains("backed up 3 memories"), "\(made.out)\(made.err)")
        let original = try daemon.memctl(["export"]).out
        // Restored into a new data directory, another memosd serves the same memories.
        let target = daemon.directory + "/restored"
        let restored = try daemon.memctl(["restore", backup, "--data-dir", target])
        #expect(restored.status == 0, "\(restored.err)")
        let twin = try LiveDaemon(extra: ["--data-dir", target])
        #expect(try twin.memctl(["export"]).out == original, "the restored store exports the same bytes")
        #expect(try twin.memctl(["get", ids.kv, "--out", twin.directory + "/kv.out"]).status == 0)
        #expect(FileManager.default.contents(atPath: twin.directory + "/kv.out") == Data(LiveDaemonTests.kvPayload(seed: 3)))
        #expect(try twin.memctl(["doctor"]).status == 0)
        // A restore refuses a non-empty target and a damaged backup.
        #expect(try daemon.memctl(["restore", backup, "--data-dir", target]).status != 0)
        let database = backup + "/memos.db"
        let handle = try #require(FileHandle(forUpdatingAtPath: database))
        try handle.seek(toOffset: 200)
        try handle.write(contentsOf: Data([0xFF, 0xEE]))
        try handle.close()
        let refused = try daemon.memctl(["restore", backup, "--data-dir", daemon.directory + "/again"])
        #expect(refused.status != 0 && refused.err.contains("does not match the manifest"), "\(refused.err)")
    }

    @Test func aBackupTakenDuringWritesIsConsistent() throws {
        let daemon = try LiveDaemon()
        let stop = SharedFlag(false), socket = daemon.socket
        let writer = Thread {
            let client = MemosClient(socketPath: socket)
            var i = 0
            while !stop.load() {
                _ = try? client.call(MemoryAdd.self, .init(namespace: "busy", item: .init(text: "note \(i) while backing up")))
                i += 1
            }
        }
        writer.start()
        usleep(100_000)
        let backup = daemon.directory + "/live-backup"
        let made = try daemon.memctl(["backup", backup])
        stop.store(true)
        #expect(made.status == 0, "\(made.err)")
        let restored = try daemon.memctl(["restore", backup, "--data-dir", daemon.directory + "/live-restored", "--json"])
        #expect(restored.status == 0, "\(restored.err)")
        let manifest = try JSONReader.parse(Array(restored.out.utf8))
        #expect((manifest["memories"]?.intValue ?? 0) > 0)
    }

    @Test func aStoreMissingAPayloadStartsAndDoctorNamesTheDamage() throws {
        let daemon = try LiveDaemon()
        let ids = try fill(daemon)
        _ = try daemon.memctl(["promote", ids.kv, "--to", "working"])  // loaded at start: the case that failed before
        #expect(try daemon.memctl(["doctor"]).status == 0)
        _ = daemon.terminate()
        try FileManager.default.removeItem(atPath: daemon.directory + "/data/blobs")
        try daemon.start()
        let doctor = try daemon.memctl(["doctor"])
        #expect(doctor.status == 1 && doctor.out.contains("1 memory is damaged") && doctor.out.contains(ids.kv), "\(doctor.out)")
        let get = try daemon.memctl(["get", ids.kv, "--json"])
        #expect(get.out.contains("\"damaged\""))
        let payload = try daemon.memctl(["get", ids.kv, "--out", daemon.directory + "/x"])
        #expect(payload.status == 1 && payload.err.contains("is damaged"), "\(payload.err)")
        #expect(try daemon.memctl(["recall", "where does Caroline live"]).out.contains("Munich"), "the rest works")
    }

    @Test func exportThenImportIntoAnotherDaemonIsByteExact() throws {
        let source = try LiveDaemon()
        _ = try fill(source)
        let file = source.directory + "/export.jsonl"
        #expect(try source.memctl(["export", "--out", file]).status == 0)
        let target = try LiveDaemon()
        let imported = try target.memctl(["import", file])
        #expect(imported.status == 0 && imported.out.contains("imported 3 memories"), "\(imported.out)\(imported.err)")
        #expect(try target.memctl(["export"]).out == String(decoding: try #require(FileManager.default.contents(atPath: file)), as: UTF8.self))
        #expect(try target.memctl(["import", file]).out.contains("imported 0 memories"), "importing twice changes nothing")
    }
}

/// A flag two threads share.
final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Bool
    init(_ value: Bool) { self.value = value }
    func load() -> Bool { lock.lock(); defer { lock.unlock() }; return value }
    func store(_ new: Bool) { lock.lock(); value = new; lock.unlock() }
}
