import Foundation
import Synchronization
import Testing
@testable import Retrieval
import MemTestSupport

/// Answers like an OpenAI embeddings endpoint: a 3-d vector per input,
/// built from the input's length so the test can tell them apart.
func fakeEmbeddings(_ body: String) -> (Int, String) {
    struct Request: Decodable { let model: String; let input: [String] }
    guard let request = try? JSONDecoder().decode(Request.self, from: Data(body.utf8)) else { return (400, #"{"error":"bad"}"#) }
    let items = request.input.enumerated().reversed().map { i, text in
        #"{"object":"embedding","index":\#(i),"embedding":[\#(text.count),1,0]}"#
    }
    return (200, #"{"object":"list","data":[\#(items.joined(separator: ","))],"model":"\#(request.model)"}"#)
}

@Suite struct HTTPEmbedderTests {
    @Test func embedsInBatchesAndKeepsOrder() throws {
        let server = try TinyHTTPServer(respond: fakeEmbeddings)
        defer { server.stop() }
        let embedder = try HTTPEmbedder.connect(
            baseURL: "http://127.0.0.1:\(server.port)/v1", model: "fake", apiKey: "k", timeout: 5, batchSize: 2)
        #expect(embedder.dimension == 3)
        #expect(embedder.id == "http:fake@127.0.0.1-3")
        let vectors = try embedder.embed(["a", "bbb", "cc", "dddd", "e"])
        #expect(vectors.count == 5)
        // Unit length, and in input order although the server replied in reverse.
        let expectedFirst = [Float(1), 1, 0].map { $0 / Float(2).squareRoot() }
        #expect(zip(vectors[0], expectedFirst).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(vectors[1][0] > vectors[2][0])
        #expect(server.requestCount == 1 + 3)  // the probe, then 5 texts in batches of 2
    }

    @Test func errorsSayWhatWentWrong() throws {
        let server = try TinyHTTPServer(respond: { _ in (503, #"{"error":"overloaded"}"#) })
        defer { server.stop() }
        do {
            _ = try HTTPEmbedder.connect(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "m", apiKey: nil, timeout: 5)
            Issue.record("connected to a failing endpoint")
        } catch let error as EmbedderError {
            #expect(error.description.contains("HTTP 503"))
            #expect(error.description.contains("overloaded"))
        }
        #expect(throws: EmbedderError.self) {
            try HTTPEmbedder.connect(baseURL: "http://127.0.0.1:1/v1", model: "m", apiKey: nil, timeout: 2)
        }
        #expect(throws: EmbedderError.self) {
            try HTTPEmbedder.connect(baseURL: "ftp://example/v1", model: "m", apiKey: nil)
        }
    }
}
