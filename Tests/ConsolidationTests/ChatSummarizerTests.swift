import Foundation
import Synchronization
import Testing
import MemTestSupport
@testable import Consolidation
import Retrieval

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Answers like an OpenAI chat endpoint: rate limited for the first `limited` requests.
func fakeChat(limited: Int) -> @Sendable (String) -> (Int, String) {
    let calls = Counter()
    return { _ in
        if calls.value.add(1, ordering: .relaxed).newValue <= limited { return (429, #"{"error":{"message":"slow down"}}"#) }
        return (200, #"{"choices":[{"index":0,"message":{"role":"assistant","content":" Caroline moved to Berlin in 2023. "}}],"usage":{"total_tokens":42}}"#)
    }
}

@Suite struct ChatSummarizerTests {
    @Test func summarizesAndWaitsOutRateLimits() throws {
        let server = try TinyHTTPServer(respond: fakeChat(limited: 2))
        defer { server.stop() }
        let chat = try ChatSummarizer(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "small", apiKey: "k", backoff: 0.01)
        #expect(chat.url.path == "/v1/chat/completions")
        let summary = try chat.summarize(["Caroline: I moved!", "Melanie: To Berlin?"])
        #expect(summary.text == "Caroline moved to Berlin in 2023." && summary.tokens == 42)
        #expect(server.requestCount == 3)
        let body = try #require(server.log.bodies.withLock { $0.last })
        #expect(body.contains(#""model":"small""#) && body.contains(#"- Caroline: I moved!\n- Melanie: To Berlin?"#))
    }

    @Test func givesUpWithAClearError() throws {
        let server = try TinyHTTPServer(respond: fakeChat(limited: 100))
        defer { server.stop() }
        let chat = try ChatSummarizer(baseURL: "http://127.0.0.1:\(server.port)/v1", model: "m", apiKey: nil, retries: 1, backoff: 0.01)
        #expect(throws: EmbedderError.self) { try chat.summarize(["x"]) }
        #expect(server.requestCount == 2)
        #expect(throws: EmbedderError.self) { _ = try ChatSummarizer(baseURL: "ftp://x", model: "m", apiKey: nil) }
    }
}
