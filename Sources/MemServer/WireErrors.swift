import MemAPI
import MemCube
import MemStore
import Retrieval

/// The one place where errors become wire errors (and get logged).
enum WireErrors {
    /// `peer` names the client in the log lines (pid and uid) of failures.
    static func convert(_ error: any Error, method: String, peer: PeerCredentials? = nil, logger: Logger) -> RPCError {
        let who = [("method", method)] + client(peer)
        let wire = wireError(error, method: method, who: who, logger: logger)
        if wire.errorCode != .internalError { logRefusal(wire, who: who, logger: logger) }
        return wire
    }

    /// The client's pid and uid, for log lines.
    static func client(_ peer: PeerCredentials?) -> [(String, String)] {
        peer.map { [("pid", String($0.pid)), ("uid", String($0.uid))] } ?? []
    }

    /// Every refusal names its client; the message stays out (it may quote memory content).
    static func logRefusal(_ error: RPCError, who: [(String, String)], logger: Logger) {
        logger.info("request refused", who + [("code", error.data?.name ?? String(error.code)), ("field", error.data?.field ?? "-")])
    }

    private static func wireError(_ error: any Error, method: String, who: [(String, String)], logger: Logger) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as ValidationError:
            let field = error.field.isEmpty ? "params" : "params.\(error.field)"
            return RPCError(.invalidParams, "\(field) \(error.message)", field: field)
        case let error as StoreError:
            return convert(error)
        case let error as EmbedderError:
            logger.warning("embedder failed", who + [("error", error.description)])
            return RPCError(.unavailable, "\(error.description); nothing was stored, retry when it is back")
        case let error as SQLiteError where error.isFull:
            return storageFull(error.description, who: who, logger: logger)
        case let error as BlobError where error.isStorageFull:
            return storageFull(error.description, who: who, logger: logger)
        case let error as BlobError where error.isMissing:
            logger.warning("a payload file is missing", who + [("error", error.description)])
            return damaged(nil, "its payload file is missing from the data directory")
        case let error as SQLiteError where error.isBusy:
            logger.warning("database busy", who + [("error", error.description)])
            return RPCError(.busy, "the database is busy; retry in a moment")
        default:
            logger.error("request failed", who + [("error", "\(error)")])
            return RPCError(.internalError, "internal error in \(method); the memosd log has the details")
        }
    }

    /// A memory whose payload file is missing (`checkPayloadFiles` marks them).
    static func damaged(_ id: String?, _ reason: String) -> RPCError {
        RPCError(
            .invalidState,
            "\(id.map { "memory \($0)" } ?? "this memory") is damaged: \(reason). Restore the data directory from a backup (memctl restore) or forget the memory; memctl doctor lists every damaged memory",
            id: id)
    }

    /// The disk holding the data is full: nothing of the request was stored.
    static func storageFull(_ detail: String, who: [(String, String)], logger: Logger) -> RPCError {
        logger.error("storage full", who + [("error", detail)])
        return RPCError(
            .storageFull,
            "the disk holding memosd's data is full, so nothing was stored; free some space (or give memosd a larger disk) and retry. Reads still work, and writes resume by themselves once there is room")
    }

    static func convert(_ error: StoreError) -> RPCError {
        switch error {
        case .notFound(let id):
            return RPCError(.notFound, "no memory with id \(id) in this namespace", field: "params.id", id: id.rawValue)
        case .purged(let id):
            return RPCError(.gone, "memory \(id) was purged; only the fact of the purge is kept", field: "params.id", id: id.rawValue)
        case .expired(let id):
            return RPCError(.notFound, "memory \(id) has expired (its TTL passed)", field: "params.id", id: id.rawValue)
        case .versionNotFound(let id, let version):
            return RPCError(.notFound, "memory \(id) has no version \(version)", field: "params.version", id: id.rawValue)
        case .versionConflict(let id, let expected, let actual):
            return RPCError(
                .versionConflict,
                "memory \(id) is at version \(actual), not the expected \(expected); get it again and retry",
                field: "params.expected_version", id: id.rawValue)
        case .invalidState(let id, let state, let operation):
            return RPCError(.invalidState, "memory \(id) is \(state.rawValue) and cannot be changed by \(operation)", id: id.rawValue)
        case .schemaTooNew(let found, let supported):
            return RPCError(.internalError, "the database schema (\(found)) is newer than this memosd supports (\(supported))")
        }
    }
}
