import Foundation
import Testing
import MemAPI
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
