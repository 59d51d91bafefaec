import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Retrieval

/// Abstractive summaries through an OpenAI-compatible `/v1/chat/completions`
/// endpoint (optional: consolidation summarizes extractively without one).
///
/// Rate limits (HTTP 429) and server errors (5xx) are retried with
/// exponential backoff, honouring `Retry-After`; other failures throw, and
/// the caller falls back to an extractive summary. Blocks the calling thread.
public struct ChatSummarizer: Sendable {
    public let url: URL
    public let model: String
    let apiKey: String?
    let timeout: Double
    /// Retries after the first attempt, and the first backoff in seconds (doubling, at most 30 s).
    let retries: Int
    let backoff: Double
    /// Longest reply asked for, in tokens.
    public let maxTokens: Int

    /// `baseURL` like `http://localhost:8080/v1` (`/chat/completions` is appended) or the full URL.
    public init(
        baseURL: String, model: String, apiKey: String?, timeout: Double = 60, retries: Int = 4, backoff: Double = 1,
        maxTokens: Int = 160
    ) throws {
        guard var url = URL(string: baseURL), url.scheme == "http" || url.scheme == "https" else {
            throw EmbedderError.unreachable(url: baseURL, reason: "not an http(s) URL")
        }
        if url.lastPathComponent != "completions" { url.appendPathComponent("chat/completions") }
        self.url = url
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.maxTokens = maxTokens
    }

    static let instructions = """
        You summarize an AI agent's memories. Write 2 or 3 plain sentences that keep every name, \
        date, number and decision. Do not add anything the memories do not say.
        """

    /// Tokens a request for `texts` may cost at most (prompt estimated at 4 characters a token, plus the reply).
    public func estimatedTokens(_ texts: [String]) -> Int {
        (Self.instructions.utf8.count + texts.reduce(0) { $0 + $1.utf8.count + 3 }) / 4 + maxTokens
    }

    /// The summary and the tokens the endpoint says it used (estimated when it does not say).
    public func summarize(_ texts: [String]) throws -> (text: String, tokens: Int) {
        let (text, tokens) = try complete(instructions: Self.instructions, input: texts.map { "- " + $0 }.joined(separator: "\n"))
        return (text, tokens ?? estimatedTokens(texts))
    }

    static let factInstructions = """
        You extract facts worth remembering from a conversation. Write one short, self-contained fact per line, \
        starting with "- ", naming who it is about (never "I" or "you") and keeping every name, date and number. \
        Write only facts the conversation states. If there are none, write nothing.
        """

    /// Facts stated in `turns` ("Speaker: text" lines), one per element.
    public func extractFacts(_ turns: [String]) throws -> [String] {
        let (text, _) = try complete(instructions: Self.factInstructions, input: turns.joined(separator: "\n"), allowEmpty: true)
        return text.split(whereSeparator: \.isNewline).map { line in
            var fact = line.trimmingCharacters(in: .whitespaces)
            for prefix in ["- ", "* ", "• "] where fact.hasPrefix(prefix) { fact.removeFirst(prefix.count) }
            return fact.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    /// One chat completion: the reply's text and the tokens the endpoint says
    /// it used. Retries rate limits and server errors with backoff.
    func complete(instructions: String, input: String, allowEmpty: Bool = false) throws -> (text: String, tokens: Int?) {
        struct Message: Codable { let role: String; let content: String }
        struct Request: Encodable {
            let model: String
            let messages: [Message]
            let max_tokens: Int
            let temperature: Double
        }
        struct Response: Decodable {
            struct Choice: Decodable { let message: Message }
            struct Usage: Decodable { let total_tokens: Int? }
            let choices: [Choice]
            let usage: Usage?
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(Request(
            model: model,
            messages: [Message(role: "system", content: instructions), Message(role: "user", content: input)],
            max_tokens: maxTokens, temperature: 0))
        var wait = backoff
        for attempt in 0...retries {
            let (data, response) = try HTTPTransport.send(request, url: url.absoluteString)
            guard let http = response as? HTTPURLResponse else {
                throw EmbedderError.badResponse(url: url.absoluteString, detail: "not an HTTP response")
            }
            if http.statusCode == 429 || (500..<600).contains(http.statusCode), attempt < retries {
                let after = http.value(forHTTPHeaderField: "Retry-After").flatMap(Double.init) ?? wait
                Thread.sleep(forTimeInterval: min(30, max(0, after)))
                wait *= 2
                continue
            }
            guard (200..<300).contains(http.statusCode) else {
                throw EmbedderError.badStatus(
                    url: url.absoluteString, status: http.statusCode, body: String(decoding: data.prefix(300), as: UTF8.self))
            }
            let decoded: Response
            do { decoded = try JSONDecoder().decode(Response.self, from: data) } catch {
                throw EmbedderError.badResponse(url: url.absoluteString, detail: "no choices[0].message.content in the JSON (\(error))")
            }
            let text = decoded.choices.first?.message.content.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard allowEmpty || !text.isEmpty else { throw EmbedderError.badResponse(url: url.absoluteString, detail: "an empty reply") }
            return (text, decoded.usage?.total_tokens)
        }
        throw EmbedderError.badResponse(url: url.absoluteString, detail: "still rate limited after \(retries) retries")
    }
}
