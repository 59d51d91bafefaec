import Foundation
import Testing
import MemAPI
import MemJSON
import MemTestSupport
@testable import MemServer
#if canImport(Glibc)
import Glibc
#endif

/// Files passed over the socket (SCM_RIGHTS) instead of named by path.
@Suite struct PassedFilesTests {
    /// Whether `fd` is still open on `path` (tests run in parallel: a closed
    /// number may be reused at once by another test, for another file).
    func isOpen(_ fd: Int32, on path: String) -> Bool {
        var open = stat(), file = stat()
        return fstat(fd, &open) == 0 && stat(path, &file) == 0 && open.st_ino == file.st_ino && open.st_dev == file.st_dev
    }

    @Test func descriptorsTravelWithTheirFrameAndOnlyToThoseWhoTakeThem() throws {
        let path = NSTemporaryDirectory() + "passed-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: Data("hello".utf8))
        defer { unlink(path) }
        let file = open(path, O_RDONLY)
        defer { close(file) }
        for accepts in [true, false] {
            var pair: [Int32] = [0, 0]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            defer { close(pair[0]); close(pair[1]) }
            try SocketIO.writeAll(pair[0], Array("{\"a\":1}\n".utf8), passing: [file, file])
            var reader = LineReader(fd: pair[1], maxFrameBytes: 1024, acceptsFiles: accepts)
            #expect(try reader.next() == .line(Array("{\"a\":1}".utf8)))
            let received = reader.takeFiles()
            #expect(received.count == (accepts ? 2 : 0))
            var original = stat(), passed = stat()
            fstat(file, &original)
            for fd in received {
                fstat(fd, &passed)
                #expect(passed.st_ino == original.st_ino && passed.st_dev == original.st_dev)
                #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "received close-on-exec")
                close(fd)
            }
        }
    }

    /// Runs `method` as a socket client passing `files` would.
    func call(_ h: Harness, _ method: String, _ params: JSONValue, files: [Int32]) throws -> (JSONValue, PassedFiles) {
        let connection = ClientConnection(fd: -1, peer: h.peer)
        let passed = PassedFiles(files)
        connection.setFiles(passed)
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
        let reply = try #require(h.dispatcher.handle(frame: Array(try JSONEncoder().encode(request)), connection: connection))
        passed.closeRest()
        return (try JSONDecoder().decode(JSONValue.self, from: Data(reply)), passed)
    }

    @Test func aPassedFileIsStoredAndAPassedFileIsWritten() throws {
        let h = try Harness()
        let directory = h.directory + "/client"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let payload = kvSnapshot(layers: 1, heads: 1, tokens: 3, headDim: 2)
        _ = FileManager.default.createFile(atPath: directory + "/kv", contents: Data(payload))
        let input = open(directory + "/kv", O_RDONLY)
        let (added, _) = try call(h, "memory.add", [
            "namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "fd": 0,
        ], files: [input])
        #expect(!isOpen(input, on: directory + "/kv"), "the handler closed the descriptor it took")
        let id = try #require(added["result"]?["id"], "\(added)")
        // Export into a file opened for writing: it holds the payload alone.
        _ = FileManager.default.createFile(atPath: directory + "/out", contents: Data(repeating: 7, count: 10_000))
        let output = open(directory + "/out", O_WRONLY)
        let (got, _) = try call(h, "memory.get", ["namespace": "n", "id": id, "export_fd": 0], files: [output])
        #expect(got["result"] != nil, "\(got)")
        #expect(FileManager.default.contents(atPath: directory + "/out") == Data(payload))
        // Refusals: a read-only file to write, a write-only file to read, a FIFO, a missing descriptor.
        let readOnly = open(directory + "/out", O_RDONLY)
        #expect(try call(h, "memory.get", ["namespace": "n", "id": id, "export_fd": 0], files: [readOnly]).0["error"]?["data"]?["field"] == "params.export_fd")
        let writeOnly = open(directory + "/out", O_WRONLY)
        #expect(try call(h, "memory.add", ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "fd": 0],
                         files: [writeOnly]).0["error"]?["data"]?["field"] == "params.fd")
        mkfifo(directory + "/fifo", 0o600)
        let fifo = open(directory + "/fifo", O_RDWR | O_NONBLOCK)  // nobody writes: reading it would never end
        let (refused, _) = try call(h, "memory.add", ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "fd": 0], files: [fifo])
        #expect(refused["error"]?["message"]?.stringValue?.contains("not a regular file") == true, "\(refused)")
        let (missing, _) = try call(h, "memory.add", ["namespace": "n", "kind": "activation", "format": "safetensors", "model": "m", "fd": 3], files: [])
        #expect(missing["error"]?["data"]?["field"] == "params.fd")
        // Descriptors no handler took are closed when the request ends.
        let extra = open(directory + "/kv", O_RDONLY)
        _ = try call(h, "system.health", [:], files: [extra])
        #expect(!isOpen(extra, on: directory + "/kv"), "an unclaimed passed descriptor is closed")
        #expect(!isOpen(fifo, on: directory + "/fifo") && !isOpen(readOnly, on: directory + "/out") && !isOpen(writeOnly, on: directory + "/out"))
    }
}
