import Foundation
import MemAPI
import MemJSON
import MemScheduler
import MemServer
import MemStore
import Retrieval

/// A memory service over a fresh database in a temporary directory, with the
/// hashing embedder and a tiered index, driven in-process through its
/// dispatcher (no socket). `close()` waits for background index builds and
/// removes the directory.
final class BenchService {
    let directory = "/tmp/memos-bench-\(getpid())"
    let store: SQLiteStore
    let index: TieredIndex
    let dispatcher: Dispatcher

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory + "/memos.db", durability: .normal)
        let embedder = HashingEmbedder()
        index = TieredIndex(dimension: embedder.dimension)
        let service = try MemoryService(store: store, index: index, embedder: embedder, accessLog: AccessLog())
        dispatcher = service.dispatcher(logger: Logger(level: .error))
    }

    func close() {
        index.waitForPromotions()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One typed call.
    func call<P: Encodable, R: Decodable>(_ method: String, _ params: P, _ result: R.Type) throws -> R {
        try JSONDecoder().decode(Reply<R>.self, from: Data(send(method, params))).result
    }

    /// One call with JSON params; an error reply is thrown.
    func call(_ method: String, _ params: JSONValue) throws -> JSONValue {
        let reply = try JSONDecoder().decode(JSONValue.self, from: Data(send(method, params)))
        if let error = reply["error"] { throw BenchError(description: "\(method): \(error)") }
        return reply["result"] ?? .null
    }

    private func send<P: Encodable>(_ method: String, _ params: P) throws -> [UInt8] {
        let frame = try JSONEncoder().encode(Request(method: method, params: params))
        return dispatcher.handle(frame: [UInt8](frame), peer: nil) ?? []
    }
}

struct Request<P: Encodable>: Encodable {
    let jsonrpc = "2.0"
    let id = 1
    let method: String
    let params: P
}

struct Reply<R: Decodable>: Decodable {
    let result: R
}

struct BenchError: Error, CustomStringConvertible { let description: String }
