import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// memctl sends nothing to a socket another user serves (one planted at the
/// path memosd would use), unless told to trust that user.
@Suite(.serialized) struct UntrustedSocketTests {
    @Test func aSocketOfAnotherUserGetsNothing() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            print("UntrustedSocketTests: skipped (needs root, setpriv and /usr/bin/python3 to serve a socket as another user)")
            return
        }
        let directory = "/tmp/memos-plant-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o777)  // the umask trimmed the mode given above
        let socket = directory + "/s.sock", received = directory + "/received"
        // A server run as uid 4321 that records whatever it is sent.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        server.arguments = ["--reuid", "4321", "--regid", "4321", "--clear-groups", "/usr/bin/python3", "-c", """
            import socket, os
            s = socket.socket(socket.AF_UNIX); s.bind("\(socket)"); os.chmod("\(socket)", 0o777); s.listen(4)
            while True:
                c, _ = s.accept()
                try:
                    data = c.recv(65536)
                    open("\(received)", "ab").write(data)
                    c.sendall(b'{"jsonrpc":"2.0","id":1,"result":{"id":"x","version":1}}\\n')
                except OSError:
                    pass
                c.close()
            """]
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        for _ in 0..<200 where access(socket, F_OK) != 0 { usleep(10_000) }
        let memctl = { (extra: [String]) throws -> (Int32, String) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binDirectory + "/memctl")
            p.arguments = ["--socket", socket] + extra + ["add", "my bank PIN is 1234"]
            var environment = ProcessInfo.processInfo.environment
            environment["MEMOS_TRUST_UID"] = nil
            p.environment = environment
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
        let (status, message) = try memctl([])
        #expect(status != 0)
        #expect(message.contains("served by user 4321") && message.contains("--trust-uid 4321"))
        #expect(!FileManager.default.fileExists(atPath: received) || !(String(decoding: FileManager.default.contents(atPath: received) ?? Data(), as: UTF8.self).contains("PIN")))
        // Told to trust that user, memctl talks to it.
        let (trusted, _) = try memctl(["--trust-uid", "4321"])
        #expect(trusted == 0)
        #expect(String(decoding: FileManager.default.contents(atPath: received) ?? Data(), as: UTF8.self).contains("PIN"))
    }
}
