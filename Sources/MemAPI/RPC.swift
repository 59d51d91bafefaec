#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemCube
import MemJSON

/// A JSON-RPC request id: a number or a string (null for notifications' errors).
public enum RPCID: Hashable, Sendable, Codable {
    case int(Int64)
    case string(String)
    case null

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let i): try container.encode(i)
        case .string(let s): try container.encode(s)
        case .null: try container.encodeNil()
        }
    }
}

/// A request as sent by clients (params kept as a JSON value until the
/// method is known).
public struct RPCRequest: Sendable, Codable {
    public var jsonrpc: String
    public var id: RPCID?
    public var method: String
    public var params: JSONValue?

    public init(id: RPCID?, method: String, params: JSONValue?) {
        jsonrpc = "2.0"
        self.id = id
        self.method = method
        self.params = params
    }
}

/// The error member of a response.
public struct RPCError: Error, Sendable, Codable, Hashable {
    public var code: Int
    public var message: String
    public var data: Details?

    /// Machine-readable detail: the stable error name and, for bad params,
    /// the JSON path of the offending field (e.g. `params.items[2].importance`).
    public struct Details: Sendable, Codable, Hashable {
        public var name: String
        public var field: String?
        public var id: String?
        public var limit: Int?

        public init(name: String, field: String? = nil, id: String? = nil, limit: Int? = nil) {
            self.name = name
            self.field = field
            self.id = id
            self.limit = limit
        }
    }

    public init(_ code: ErrorCode, _ message: String, field: String? = nil, id: String? = nil, limit: Int? = nil) {
        self.code = code.rawValue
        self.message = message
        self.data = Details(name: code.name, field: field, id: id, limit: limit)
    }

    public var errorCode: ErrorCode? { ErrorCode(rawValue: code) }
}

/// A response: exactly one of `result` and `error`.
public struct RPCResponse<Result: Codable & Sendable>: Sendable, Codable {
    public var jsonrpc = "2.0"
    public var id: RPCID
    public var result: Result?
    public var error: RPCError?

    public init(id: RPCID, result: Result) {
        self.id = id
        self.result = result
    }

    public init(id: RPCID, error: RPCError) {
        self.id = id
        self.error = error
    }
}

/// The frozen error codes: JSON-RPC's standard ones and memos's own
/// (in the -32000...-32099 range JSON-RPC leaves to servers). schemas/
/// and docs/protocol.md list them; never renumber one.
public enum ErrorCode: Int, Sendable, CaseIterable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case notFound = -32001
    case versionConflict = -32002
    case permissionDenied = -32003
    case payloadTooLarge = -32004
    case busy = -32005
    case invalidState = -32006
    case gone = -32007
    case unavailable = -32008
    case storageFull = -32009

    /// The stable snake_case name sent in `error.data.name`.
    public var name: String {
        switch self {
        case .parseError: "parse_error"
        case .invalidRequest: "invalid_request"
        case .methodNotFound: "method_not_found"
        case .invalidParams: "invalid_params"
        case .internalError: "internal_error"
        case .notFound: "not_found"
        case .versionConflict: "version_conflict"
        case .permissionDenied: "permission_denied"
        case .payloadTooLarge: "payload_too_large"
        case .busy: "busy"
        case .invalidState: "invalid_state"
        case .gone: "gone"
        case .unavailable: "unavailable"
        case .storageFull: "storage_full"
        }
    }
}

/// A method of the protocol: its name and the types of its params and result.
///
/// Client and server share these types, so they cannot drift apart; the
/// JSON Schemas in schemas/ mirror them and a test checks both.
public protocol RPCMethod: Sendable {
    associatedtype Params: WireParams
    associatedtype Result: Codable & Sendable
    static var name: String { get }
    /// Who may call it; memosd enforces it in one place (`NamespaceAccess`)
    /// and docs/security.md's table follows it (tested).
    static var access: MethodAccess { get }
}

/// Who may call a method, when other local users are let in (`--allow-uid`,
/// `--allow-gid`). The daemon's own user and root may call everything.
public enum MethodAccess: String, Sendable, CaseIterable {
    /// Any client memosd admits.
    case anyone
    /// Only the daemon's own user (and root): the method reaches every
    /// namespace or the daemon itself.
    case daemonOwner = "daemon owner"
    /// Read access to the namespace in the params (`NamespacedParams`).
    case read
    /// Write access to the namespace in the params; writing to a namespace
    /// nobody owns yet makes the caller its owner.
    case write
    /// The namespace's owner (sharing it).
    case namespaceOwner = "namespace owner"
    /// The handler checks what it touches: it names no namespace up front
    /// (a consolidation run by id) or filters what it returns to the
    /// namespaces the caller may read (stats, scheduler status).
    case perItem = "per item"
}

/// Params that name the namespace a method reads or writes.
public protocol NamespacedParams {
    var namespace: String { get }
}

extension RPCMethod {
    /// The params' top-level keys; any other key is rejected as a likely typo.
    public static var paramKeys: Set<String> { Params.keys }
}

/// A method's params. `keys` are the JSON keys it accepts, taken from its
/// `CodingKeys` (`codingKeyNames`): declared once, in the type, and checked
/// against the JSON Schema by SchemaTests.
public protocol WireParams: Codable, Sendable {
    static var keys: Set<String> { get }
}

/// The JSON keys of a `CodingKeys` enum.
public func codingKeyNames<Keys: CodingKey & CaseIterable>(_: Keys.Type) -> Set<String> {
    Set(Keys.allCases.map(\.stringValue))
}
