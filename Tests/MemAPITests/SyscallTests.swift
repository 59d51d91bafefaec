#if canImport(Glibc)
import Glibc
#endif
import Testing
import MemAPI

@Suite struct SyscallTests {
    @Test func aFailureCarriesItsCallAndErrno() throws {
        #expect(throws: SocketError.self) { try Syscall.run("close") { close(-1) } }
        do {
            try Syscall.run("close", path: "/x") { close(-1) }
        } catch {
            #expect(error.code == EBADF && error.operation == "close" && error.description.hasPrefix("close /x: "))
        }
        #expect(try Syscall.run("getpid") { getpid() } == getpid())
    }

    @Test func interruptedCallsAreRetried() throws {
        var calls = 0
        let result = try Syscall.run("fake") { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && calls == 3)
    }

    @Test func connectingToNothingNamesThePath() {
        do {
            _ = try SocketIO.connect(path: "/nonexistent/memos.sock")
            Issue.record("connected to nothing")
        } catch let error as SocketError {
            #expect(error.operation == "connect" && error.path == "/nonexistent/memos.sock" && error.code == ENOENT)
        } catch {
            Issue.record("\(error)")
        }
    }
}
