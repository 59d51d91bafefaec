import Foundation
import Synchronization

/// A one-route HTTP/1.1 server on 127.0.0.1 for the embedder tests: each
/// request body goes to `respond`, which returns a status and a body.
public final class TinyHTTPServer: Sendable {
    public let port: UInt16
    private let fd: Int32
    public let log = RequestLog()

    public init(respond: @escaping @Sendable (String) -> (Int, String)) throws {
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

    public var requestCount: Int { log.bodies.withLock { $0.count } }

    public func stop() {
        log.stopped.store(true, ordering: .releasing)
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

public final class RequestLog: Sendable {
    public let bodies = Mutex<[String]>([])
    public let stopped = Atomic<Bool>(false)
}

