import Foundation
import MemAPI
import Testing

/// A purge leaves the text in no file of the data directory: not the
/// database, not its WAL, not the entities of older versions, not a
/// consolidation summary — while memosd runs and after it stops.
@Suite(.serialized) struct PurgeTests {
    static let secrets = ["Zanzibarquux", "Quokkamandor", "periwinkle-lighthouse-7731"]

    /// The files (below `directory`) holding any of the secrets, with the word found.
    static func leaks(in directory: String) -> [String] {
        var found: [String] = []
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for file in files {
            let path = directory + "/" + file
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let bytes = FileManager.default.contents(atPath: path) else { continue }
            for secret in secrets where bytes.range(of: Data(secret.utf8)) != nil || bytes.range(of: Data(secret.lowercased().utf8)) != nil {
                found.append("\(file): \(secret)")
            }
        }
        return found
    }

    @Test func purgedTextIsInNoFileWhileRunningAndAfterStopping() throws {
        let d = try LiveDaemon(extra: ["--summary-min", "3", "--consolidate-at", "off"])
        let client = MemosClient(socketPath: d.socket)
        defer { client.close() }
        let data = d.directory + "/data"
        let add = { (text: String) throws -> String in
            try client.call(MemoryAdd.self, .init(namespace: "ns", item: .init(text: text, session: "s1"))).id ?? ""
        }
        let secret = try add("Quokkamandor told me the door code is periwinkle-lighthouse-7731")
        _ = try client.call(MemoryUpdate.self, .init(namespace: "ns", id: secret, text: "Zanzibarquux said the door code is periwinkle-lighthouse-7731"))
        for i in 0..<4 { _ = try add("an ordinary note number \(i) about the door code and the garden") }
        _ = try client.call(ConsolidateRun.self, .init(namespace: "ns", wait: true))
        _ = try client.call(MemoryRecall.self, .init(namespace: "ns", query: "door code Zanzibarquux", k: 5))
        #expect(!Self.leaks(in: data).isEmpty, "the secret is stored before the purge (else this test proves nothing)")

        #expect(try client.call(MemoryForget.self, .init(namespace: "ns", id: secret, purge: true)).forgotten == 1)
        #expect(Self.leaks(in: data) == [], "while memosd runs")
        // Recall and the graph no longer find it.
        let hits = try client.call(MemoryRecall.self, .init(namespace: "ns", query: "Zanzibarquux periwinkle lighthouse", k: 10)).hits
        #expect(!hits.contains { ($0.text ?? "").contains("Zanzibarquux") || ($0.text ?? "").contains("periwinkle") })
        client.close()
        #expect(d.terminate() == 0)
        #expect(Self.leaks(in: data) == [], "after memosd stopped")
    }
}
