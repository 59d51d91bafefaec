#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MemCube
import MemJSON

/// What can go wrong calling memosd.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The socket is missing or refuses connections: memosd is not running there.
    case unreachable(path: String, reason: String)
    /// memosd answered with an error.
    case rpc(RPCError)
    /// The connection broke or the reply was not a JSON-RPC response.
    case protocolError(String)
    /// The socket is served by another user, who would read what is sent.
    case untrustedServer(path: String, uid: UInt32)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach memosd at \(path): \(reason)"
        case .rpc(let error): error.message
        case .protocolError(let detail): "bad reply from memosd: \(detail)"
        case .untrustedServer(let path, let uid):
            "the socket \(path) is served by user \(uid), not by you (uid \(getuid())); nothing was sent. If you trust that user's memosd, pass --trust-uid \(uid) (or set MEMOS_TRUST_UID=\(uid))"
        }
    }
}

/// A blocking JSON-RPC client over memosd's Unix socket.
///
/// One connection, opened on first use and reused; not thread-safe (use one
/// client per thread). Requests carry increasing integer ids.
public final class MemosClient {
    public let socketPath: String
    private var fd: Int32 = -1
    private var reader: LineReader?
    private var nextID: Int64 = 1
    private let encoder: JSONEncoder
    private let decoder = JSONValueDecoder()

    /// Users besides this one (and root) whose memosd this client talks to.
    public let trustedUIDs: Set<UInt32>

    /// The server's uid is checked on connect (SO_PEERCRED): a socket
    /// served by another user, planted at the path, gets nothing unless
    /// that uid is in `trustedUIDs`.
    public init(socketPath: String, trustedUIDs: Set<UInt32> = []) {
        self.socketPath = socketPath
        self.trustedUIDs = trustedUIDs
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { SocketIO.close(fd) }
        fd = -1
        reader = nil
    }

    /// Calls `method` and decodes its result; memosd's errors throw `ClientError.rpc`.
    /// `files` travel with the request (SCM_RIGHTS; params name them by
    /// position, e.g. `fd: 0`): memosd reads or writes them without opening
    /// any path. They stay the caller's to close.
    public func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, passing files: [Int32] = []) throws -> M.Result {
        let id = nextID
        nextID += 1
        let request = Request(id: id, method: M.name, params: params)
        let line = try send(encoder.encode(request), passing: files)
        let response: RPCResponse<M.Result>
        do {
            response = try decoder.decode(RPCResponse<M.Result>.self, from: JSONReader.parse(line))
        } catch {
            throw ClientError.protocolError("cannot decode the reply to \(M.name): \(error)")
        }
        if let error = response.error { throw ClientError.rpc(error) }
        guard let result = response.result else { throw ClientError.protocolError("reply has neither result nor error") }
        return result
    }

    /// Sends one raw frame (without newline) and returns the reply's bytes.
    ///
    /// memosd closes connections idle longer than its `--idle-timeout`, and
    /// only between requests: a reused connection found closed before any
    /// reply byte (EPIPE, a reset, or end of stream) is opened again and the
    /// frame sent once more, which memosd never saw.
    public func send(_ frame: Data, passing files: [Int32] = []) throws -> [UInt8] {
        var bytes = [UInt8](frame)
        bytes.append(UInt8(ascii: "\n"))
        let reused = fd >= 0
        do {
            return try exchange(bytes, files)
        } catch Closed.beforeReply where reused {
            do { return try exchange(bytes, files) } catch Closed.beforeReply {}
        } catch Closed.beforeReply {}
        throw ClientError.protocolError("memosd closed the connection")
    }

    private enum Closed: Error { case beforeReply }

    private func exchange(_ bytes: [UInt8], _ files: [Int32]) throws -> [UInt8] {
        try connectIfNeeded()
        do {
            try SocketIO.writeAll(fd, bytes, passing: files)
            switch try reader!.next() {
            case .line(let line): return line
            case .tooLong: throw ClientError.protocolError("reply larger than the client's frame limit")
            case .end:
                close()
                throw Closed.beforeReply
            }
        } catch let error as SocketError {
            close()
            if error.code == EPIPE || error.code == ECONNRESET { throw Closed.beforeReply }
            throw ClientError.protocolError(error.description)
        }
    }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        do {
            fd = try SocketIO.connect(path: socketPath)
        } catch let error as SocketError {
            throw ClientError.unreachable(path: socketPath, reason: String(cString: strerror(error.code)))
        }
        guard let server = SocketIO.peer(fd), server.uid == getuid() || server.uid == 0 || trustedUIDs.contains(server.uid) else {
            let uid = SocketIO.peer(fd)?.uid ?? UInt32.max
            close()
            throw ClientError.untrustedServer(path: socketPath, uid: uid)
        }
        reader = LineReader(fd: fd, maxFrameBytes: 256 * 1024 * 1024)
    }

    private struct Request<P: Encodable>: Encodable {
        let jsonrpc = "2.0"
        let id: Int64
        let method: String
        let params: P
    }
}
