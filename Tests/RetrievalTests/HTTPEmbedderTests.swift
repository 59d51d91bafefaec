import Foundation
import Synchronization
import Testing
@testable import Retrieval

/// A one-route HTTP/1.1 server on 127.0.0.1 for the embedder tests: each
/// request body goes to `respond`, which returns a status and a body.
final class TinyHTTPServer: Sendable {
    let port: UInt16
    private let fd: Int32
    let log = RequestLog()

    init(respond: @escaping @Sendable (String) -> (Int, String)) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        fd = listener
        let log = log
        Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 || log.stopped.load(ordering: .acquiring) {
                    // Only this thread closes the listener: a descriptor closed
                    // elsewhere could be reused before the next accept().
                    if client >= 0 { close(client) }
                    close(listener)
                    return
                }
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(client, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    data += buffer[0..<n]
                    let text = String(decoding: data, as: UTF8.self)
                    if let split = text.range(of: "\r\n\r\n") {
                        let header = text[..<split.lowerBound].lowercased()
                        let length = header.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                        if text[split.upperBound...].utf8.count >= length { break }
                    }
                }
                let text = String(decoding: data, as: UTF8.self)
                let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
                log.bodies.withLock { $0.append(body) }
                let (status, reply) = respond(body)
                let response = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(reply.utf8.count)\r\nConnection: close\r\n\r\n\(reply)"
                _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }.start()
    }

    var requestCount: Int { log.bodies.withLock { $0.count } }

    func stop() {
        log.stopped.store(true, ordering: .releasing)
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

final class RequestLog: Sendable {
    let bodies = Mutex<[String]>([])
    let stopped = Atomic<Bool>(false)
}

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

@Suite struct BLASTuningTests {
    @Test func choosesBetterKernelsOnlyForTheGenericCore() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: [:]) == .reexec(core: "SkylakeX"))
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: ["avx2", "fma"], environment: [:]) == .reexec(core: "Haswell"))
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: ["sse3"], environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Haswell", cpuFlags: avx512, environment: [:]) == .reexec(core: "SkylakeX"))
        #expect(BLASTuning.decide(coreName: "Haswell", cpuFlags: ["avx2", "fma"], environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "SkylakeX", cpuFlags: avx512, environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Cooperlake", cpuFlags: avx512, environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Zen"]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["MEMOS_BLAS_CORE": "keep"]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["MEMOS_BLAS_REEXEC": "1"]) == .keep)
    }

    @Test func theLoadedKernelsComputeCorrectly() {
        #expect(BLASTuning.selfCheck())
        #expect(!BLASTuning.cpuFlags().isEmpty)
    }
}
