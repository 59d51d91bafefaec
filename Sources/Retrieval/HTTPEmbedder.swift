import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Why a remote embedding call failed.
public enum EmbedderError: Error, Sendable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case badStatus(url: String, status: Int, body: String)
    case badResponse(url: String, detail: String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "the embedding endpoint \(url) is unreachable: \(reason)"
        case .badStatus(let url, let status, let body): "the embedding endpoint \(url) answered HTTP \(status): \(body)"
        case .badResponse(let url, let detail): "the embedding endpoint \(url) sent an unexpected reply: \(detail)"
        }
    }
}

/// An OpenAI-compatible `/v1/embeddings` endpoint as the embedder (optional:
/// for people who run an embedding server or use a hosted model).
///
/// Texts go in batches of `batchSize` per request, each with a timeout.
/// Vectors are L2-normalized here, whatever the server returns. Blocks the
/// calling thread for the round trip: call it from a client's thread.
public struct HTTPEmbedder: Embedder {
    public let url: URL
    public let model: String
    public let dimension: Int
    public var id: String { "http:\(model)@\(url.host ?? "?")-\(dimension)" }
    let apiKey: String?
    let timeout: Double
    let batchSize: Int

    /// `baseURL` like `http://localhost:8080/v1` (`/embeddings` is appended)
    /// or the full endpoint URL. Probes the endpoint once to learn the dimension.
    public static func connect(
        baseURL: String, model: String, apiKey: String?, timeout: Double = 30, batchSize: Int = 64
    ) throws -> HTTPEmbedder {
        guard var url = URL(string: baseURL), url.scheme == "http" || url.scheme == "https" else {
            throw EmbedderError.unreachable(url: baseURL, reason: "not an http(s) URL")
        }
        if url.lastPathComponent != "embeddings" { url.appendPathComponent("embeddings") }
        let probe = HTTPEmbedder(url: url, model: model, dimension: 0, apiKey: apiKey, timeout: timeout, batchSize: batchSize)
        let vector = try probe.request(["memos"])[0]
        guard !vector.isEmpty else { throw EmbedderError.badResponse(url: url.absoluteString, detail: "an empty embedding") }
        return HTTPEmbedder(url: url, model: model, dimension: vector.count, apiKey: apiKey, timeout: timeout, batchSize: batchSize)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            let batch = try request(Array(texts[start..<min(start + batchSize, texts.count)]))
            for vector in batch where vector.count != dimension {
                throw EmbedderError.badResponse(
                    url: url.absoluteString, detail: "a \(vector.count)-dimensional vector from a \(dimension)-dimensional model")
            }
            vectors += batch
        }
        return vectors
    }

    private struct Request: Encodable {
        let model: String
        let input: [String]
    }

    private struct Response: Decodable {
        struct Item: Decodable {
            let embedding: [Float]
            let index: Int?
        }
        let data: [Item]
    }

    func request(_ texts: [String]) throws -> [[Float]] {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(Request(model: model, input: texts))
        let (data, response) = try HTTPTransport.send(request, url: url.absoluteString)
        guard let http = response as? HTTPURLResponse else {
            throw EmbedderError.badResponse(url: url.absoluteString, detail: "not an HTTP response")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw EmbedderError.badStatus(
                url: url.absoluteString, status: http.statusCode, body: String(decoding: data.prefix(300), as: UTF8.self))
        }
        let decoded: Response
        do {
            decoded = try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw EmbedderError.badResponse(url: url.absoluteString, detail: "no data[].embedding in the JSON (\(error))")
        }
        guard decoded.data.count == texts.count else {
            throw EmbedderError.badResponse(url: url.absoluteString, detail: "\(decoded.data.count) embeddings for \(texts.count) texts")
        }
        let ordered = decoded.data.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
        return ordered.map { item in
            var vector = item.element.embedding
            normalize(&vector)
            return vector
        }
    }
}

/// Blocking HTTP round trips for the optional remote plug-ins (embeddings, chat).
public enum HTTPTransport {
    /// One blocking round trip. Runs on the caller's own thread (never the
    /// cooperative pool), waiting for URLSession's callback.
    public static func send(_ request: URLRequest, url: String) throws -> (Data, URLResponse) {
        final class Box: @unchecked Sendable {
            // @unchecked: written once by the callback before `done` is signalled, read after.
            var result: Result<(Data, URLResponse), Error>?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(EmbedderError.unreachable(url: url, reason: error.localizedDescription))
            } else if let data, let response {
                box.result = .success((data, response))
            } else {
                box.result = .failure(EmbedderError.badResponse(url: url, detail: "no data"))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result!.get()
    }
}
