import Foundation
import Testing
import MemAPI
#if canImport(Glibc)
import Glibc
#endif
@testable import MemServer

@Suite struct SocketServerTests {
    @Test func phasesGoFromStartingToStoppedAndTheSocketGoes() throws {
        let directory = NSTemporaryDirectory() + "memos-socket-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s.sock"
        let server = SocketServer(path: path, maxFrameBytes: 1024, maxConnections: 4, logger: Logger(level: .error)) { frame, _ in frame }
        #expect(server.phase == .starting)
        try server.start()
        #expect(server.phase == .running)
        let fd = try SocketIO.connect(path: path)
        try SocketIO.writeAll(fd, Array("ping\n".utf8))
        var reader = LineReader(fd: fd, maxFrameBytes: 1024)
        #expect(try reader.next() == .line(Array("ping".utf8)))
        SocketIO.close(fd)
        server.stop(drainSeconds: 2)
        #expect(server.phase == .stopped)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: SocketError.self) { try SocketIO.connect(path: path) }
    }
}

@Suite struct SocketServerLimitsTests {
    func server(_ limits: SocketServer.ClientLimits) throws -> (SocketServer, String, String) {
        let directory = NSTemporaryDirectory() + "memos-socket-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/s.sock"
        let server = SocketServer(path: path, limits: limits, logger: Logger(level: .error)) { frame, _ in
            Array(repeating: UInt8(ascii: "x"), count: 256 * 1024) + frame  // a large reply
        }
        try server.start()
        return (server, path, directory)
    }

    @Test func theSocketIsTheUsersAloneWithoutTouchingTheUmask() throws {
        let before = umask(0o022)
        umask(before)
        let (server, path, directory) = try server(.init(maxFrameBytes: 1024, maxConnections: 4))
        defer { server.stop(drainSeconds: 1); try? FileManager.default.removeItem(atPath: directory) }
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let after = umask(0o022)
        umask(after)
        #expect(after == before)
    }

    @Test func idleClientsAreClosedAndNonReadersCutOff() throws {
        let (server, path, directory) = try server(.init(maxFrameBytes: 1024, maxConnections: 4, idleTimeout: 0.3, sendTimeout: 0.3))
        defer { server.stop(drainSeconds: 1); try? FileManager.default.removeItem(atPath: directory) }
        // Idle: the server closes it.
        let idle = try SocketIO.connect(path: path)
        defer { SocketIO.close(idle) }
        try SocketIO.setTimeout(idle, SO_RCVTIMEO, seconds: 5)
        var reader = LineReader(fd: idle, maxFrameBytes: 1024)
        #expect(try reader.next() == .end)
        // Never reads: after the send timeout its connection is gone and the slot free.
        let flood = try SocketIO.connect(path: path)
        defer { SocketIO.close(flood) }
        try SocketIO.setTimeout(flood, SO_SNDTIMEO, seconds: 0.5)
        for _ in 0..<200 { if (try? SocketIO.writeAll(flood, Array("ping\n".utf8))) == nil { break } }
        var waited = 0
        while server.connectionCount > 0 && waited < 100 {
            usleep(50_000)
            waited += 1
        }
        #expect(server.connectionCount == 0)
    }
}

@Suite struct ClientReconnectTests {
    @Test func aClientWhoseIdleConnectionWasClosedReconnectsOnce() throws {
        let directory = NSTemporaryDirectory() + "memos-socket-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/s.sock"
        let server = SocketServer(
            path: path, limits: .init(maxFrameBytes: 1024, maxConnections: 4, idleTimeout: 0.2), logger: Logger(level: .error)
        ) { frame, _ in frame }
        try server.start()
        defer { server.stop(drainSeconds: 1) }
        let client = MemosClient(socketPath: path)
        #expect(try client.send(Data("one".utf8)) == Array("one".utf8))
        usleep(600_000)  // the server closes the idle connection
        #expect(try client.send(Data("two".utf8)) == Array("two".utf8))
    }
}
