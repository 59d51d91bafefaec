import Foundation
import MemAPI
import MemCube

/// Turns request frames into response frames: parses JSON-RPC, finds the
/// method in a registry frozen at init, decodes params, runs the handler and
/// converts any error to a wire error (in `WireErrors`, the one place).
///
/// Thread-safe; runs on the connection's thread.
public final class Dispatcher: Sendable {
    typealias Handler = @Sendable (JSONValue?, RequestContext) throws -> any Encodable & Sendable

    private let handlers: [String: Handler]
    private let logger: Logger
    /// Each request's `RequestContext.now` (the service's clock).
    private let clock: WallClock
    public let maxBatchRequests: Int
    let counters = Counters()

    init(handlers: [String: Handler], logger: Logger, clock: WallClock, maxBatchRequests: Int = 100) {
        self.handlers = handlers
        self.logger = logger
        self.clock = clock
        self.maxBatchRequests = maxBatchRequests
    }

    public var methodNames: [String] { handlers.keys.sorted() }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The response frame for one request frame, or nil when nothing is to be
    /// sent back (a notification, or a batch of only notifications).
    /// A frame from a socket client.
    public func handle(frame: [UInt8], connection: ClientConnection) -> [UInt8]? {
        handle(frame: frame, peer: connection.peer, connection: connection)
    }

    public func handle(frame: [UInt8], peer: PeerCredentials?, connection: ClientConnection? = nil) -> [UInt8]? {
        let value: JSONValue
        do {
            value = try JSONReader.parse(frame)
        } catch {
            return encode(refusal(id: .null, RPCError(
                .parseError, "the request is not valid JSON (at byte \(error.offset): \(error.reason))"), peer: peer))
        }
        if case .array(let requests) = value {
            guard !requests.isEmpty else {
                return encode(refusal(id: .null, RPCError(.invalidRequest, "an empty batch is not a request"), peer: peer))
            }
            guard requests.count <= maxBatchRequests else {
                return encode(refusal(id: .null, RPCError(
                    .payloadTooLarge, "a batch may hold at most \(maxBatchRequests) requests (got \(requests.count))",
                    limit: maxBatchRequests), peer: peer))
            }
            let responses = requests.compactMap { handleOne($0, peer: peer, connection: connection) }
            return responses.isEmpty ? nil : encodeArray(responses)
        }
        return handleOne(value, peer: peer, connection: connection).map(encode)
    }

    /// Handles one request object; nil for a notification.
    func handleOne(_ value: JSONValue, peer: PeerCredentials?, connection: ClientConnection? = nil) -> WireResponse? {
        counters.requests.add(1, ordering: .relaxed)
        guard case .object(let object) = value else {
            return refusal(id: .null, RPCError(.invalidRequest, "a request must be a JSON object"), peer: peer)
        }
        let id: RPCID?
        switch object["id"] {
        case nil: id = nil
        case .null?: id = .null
        case .int(let i)?: id = .int(i)
        case .string(let s)?: id = .string(s)
        case .some: return refusal(id: .null, RPCError(.invalidRequest, "id must be a string or an integer", field: "id"), peer: peer)
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return refusal(id: id ?? .null, RPCError(.invalidRequest, "jsonrpc must be \"2.0\"", field: "jsonrpc"), peer: peer)
        }
        guard case .string(let method)? = object["method"] else {
            return refusal(id: id ?? .null, RPCError(.invalidRequest, "method must be a string", field: "method"), peer: peer)
        }
        guard let handler = handlers[method] else {
            let error = RPCError(.methodNotFound, "no method named '\(method)'; see docs/protocol.md for the list", field: "method")
            let response = refusal(id: id ?? .null, error, peer: peer)
            return id == nil ? nil : response
        }
        var context = RequestContext(peer: peer, now: clock.now())
        context.connection = connection
        context.files = connection?.files
        do {
            let result = try handler(object["params"], context)
            guard let id else { return nil }
            return WireResponse(id: id, result: result, error: nil)
        } catch {
            let wire = WireErrors.convert(error, method: method, peer: peer, logger: logger)
            guard let id else { return nil }
            return errorResponse(id: id, wire)
        }
    }

    /// A request refused before any handler ran, logged with its client.
    private func refusal(id: RPCID, _ error: RPCError, peer: PeerCredentials?) -> WireResponse {
        WireErrors.logRefusal(error, who: WireErrors.client(peer), logger: logger)
        return errorResponse(id: id, error)
    }

    func errorResponse(id: RPCID, _ error: RPCError) -> WireResponse {
        counters.errors.add(1, ordering: .relaxed)
        return WireResponse(id: id, result: nil, error: error)
    }

    func encode(_ response: WireResponse) -> [UInt8] {
        if response.error == nil, let result = response.result as? JSONWritable {
            // The hot path (recall): the same bytes as JSONEncoder writes, several times faster.
            var writer = JSONWriter()
            writer.object { m in
                m.member("id") { w in
                    switch response.id {
                    case .int(let i): w.int(i)
                    case .string(let s): w.string(s)
                    case .null: w.null()
                    }
                }
                m.member("jsonrpc") { $0.raw("\"2.0\"") }
                m.member("result") { result.write(to: &$0) }
            }
            return writer.bytes
        }
        do {
            return Array(try Self.encoder.encode(response))
        } catch {
            logger.error("cannot encode a response", [("error", "\(error)")])
            let fallback = WireResponse(id: response.id, result: nil, error: RPCError(.internalError, "the result could not be encoded"))
            return (try? Array(Self.encoder.encode(fallback))) ?? []
        }
    }

    func encodeArray(_ responses: [WireResponse]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (i, response) in responses.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += encode(response)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }
}

/// A response whose result is any encodable value.
struct WireResponse: Encodable, Sendable {
    let id: RPCID
    let result: (any Encodable & Sendable)?
    let error: RPCError?

    enum CodingKeys: String, CodingKey { case jsonrpc, id, result, error }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("2.0", forKey: .jsonrpc)
        try container.encode(id, forKey: .id)
        if let error {
            try container.encode(error, forKey: .error)
        } else if let result {
            try container.encode(result, forKey: .result)
        }
    }
}

import MemJSON
import Synchronization

/// Request and error counts for `system.stats`.
final class Counters: Sendable {
    let requests = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
}

extension Dispatcher {
    /// Registers a typed method: params decoding and key checks come for
    /// free, and the method's `access` is checked before its body runs.
    static func entry<M: RPCMethod>(
        _ method: M.Type, access: NamespaceAccess,
        _ body: @escaping @Sendable (M.Params, RequestContext) throws -> M.Result
    ) -> (String, Handler) {
        (M.name, { params, context in
            let decoded = try ParamsDecoding.decode(M.self, from: params)
            let claim = try access.check(M.access, method: M.name, params: decoded, context: context)
            defer { access.settle(claim, now: context.now) }
            return try body(decoded, context)
        })
    }
}
