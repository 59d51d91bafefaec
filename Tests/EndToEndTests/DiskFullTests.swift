import Foundation
import MemAPI
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// memosd on a tiny tmpfs: a full disk is `storage_full`, nothing already
/// stored is harmed, reads go on, SIGTERM still exits cleanly, and writes
/// resume once there is room. Needs root (for the mount); skipped otherwise.
@Suite(.serialized) struct DiskFullTests {
    @Test func aFullDiskIsStorageFullAndNothingIsLost() throws {
        let mount = "/tmp/memos-full-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mount) }
        guard getuid() == 0, run("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mount]) == 0 else {
            print("DiskFullTests: skipped (needs root and tmpfs mounts to make a small disk)")
            return
        }
        defer { _ = run("/bin/umount", ["-l", mount]) }
        let d = try LiveDaemon(extra: ["--data-dir", mount + "/data"])
        // Leave about 1.5 MiB free.
        var info = statvfs()
        statvfs(mount, &info)
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        let filler = mount + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(count: max(0, free - 1_500_000)))

        let client = MemosClient(socketPath: d.socket)
        var stored: [String] = []
        var full: RPCError?
        for i in 0..<400 {
            let text = "memory \(i) " + String(repeating: "lorem ipsum dolor sit amet \(i) ", count: 600)
            do {
                stored.append(try client.call(MemoryAdd.self, .init(namespace: "ns", item: .init(text: text))).id ?? "")
            } catch ClientError.rpc(let error) {
                full = error
                break
            }
        }
        let error = try #require(full, "the disk never filled")
        #expect(error.errorCode == .storageFull)
        #expect(error.message.contains("full") && error.message.contains("free"))
        #expect(!stored.isEmpty)
        // What was stored is intact and readable while the disk is full.
        for id in stored.prefix(5) + stored.suffix(2) {
            #expect(try client.call(MemoryGet.self, .init(namespace: "ns", id: id)).memory?.id == id)
        }
        #expect(try !client.call(MemoryRecall.self, .init(namespace: "ns", query: "lorem ipsum", k: 3)).hits.isEmpty)
        client.close()
        #expect(d.terminate() == 0, "SIGTERM on a full disk exits cleanly")

        // Room again: the same data, and writes resume.
        try FileManager.default.removeItem(atPath: filler)
        try d.start(extra: ["--data-dir", mount + "/data"])
        let again = MemosClient(socketPath: d.socket)
        defer { again.close() }
        let listed = try again.call(MemoryList.self, .init(namespace: "ns", limit: 1000)).memories.map(\.id)
        #expect(Set(listed) == Set(stored))
        #expect(try again.call(MemoryAdd.self, .init(namespace: "ns", item: .init(text: "after the disk was freed"))).id != nil)
        #expect(d.terminate() == 0)
    }

    private func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
