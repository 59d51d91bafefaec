import Foundation
import MemCube
import MemStore

/// A fresh database in its own temp directory, removed at deinit.
public final class TempStore {
    public let directory: String
    public let store: SQLiteStore

    public init() throws {
        directory = NSTemporaryDirectory() + "memos-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory + "/memos.db")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

public func makeCube(
    _ text: String, namespace: String = "ns", tags: [String] = [], agent: String? = nil, session: String? = nil,
    at millis: Int64 = 1_000_000, occurredAt: Timestamp? = nil, expiresAt: Timestamp? = nil
) -> NewCube {
    NewCube(
        cube: MemCube(
            id: .generate(at: millis), namespace: namespace, agent: agent, session: session, text: text, tags: tags,
            occurredAt: occurredAt, createdAt: Timestamp(millis: millis), expiresAt: expiresAt,
            provenance: Provenance(agent: agent, peerUID: 1000, peerPID: 42, operation: .add)),
        embedding: Embedding(embedder: "test", vector: [1, 0, 0]))
}

