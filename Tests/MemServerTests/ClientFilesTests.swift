import Foundation
import Synchronization
import Testing
@testable import MemServer
#if canImport(Glibc)
import Glibc
#endif

/// Client-named files are opened with the client's rights and checked on
/// the descriptor: no swap of a name in between can make memosd read what
/// the client may not.
@Suite struct ClientFilesTests {
    let other = PeerCredentials(pid: 1, uid: 4321, gid: 4321)  // a client that is not the file's owner

    func temp() throws -> String {
        let directory = NSTemporaryDirectory() + "memos-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        return directory
    }

    func refusal(_ path: String, _ peer: PeerCredentials?) -> String? {
        do {
            let fd = try ClientFiles.openForReading(path, peer: peer)
            close(fd)
            return nil
        } catch { return error.description }
    }

    @Test func pseudoFilesDevicesFIFOsAndRelativePathsAreRefused() throws {
        let directory = try temp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let me = PeerCredentials(pid: 1, uid: getuid(), gid: getgid())
        #expect(refusal("/proc/self/environ", me)?.contains("/proc or /sys") == true)
        #expect(refusal("/dev/zero", me)?.contains("not a regular file") == true)
        mkfifo(directory + "/fifo", 0o666)
        #expect(refusal(directory + "/fifo", me)?.contains("not a regular file") == true)  // and no hang
        #expect(refusal("relative/file", me)?.contains("absolute") == true)
        #expect(refusal(directory + "/missing", me)?.contains("does not exist") == true)
        symlink(directory + "/loop", directory + "/loop")
        #expect(refusal(directory + "/loop", me)?.contains("symbolic links") == true)
        _ = FileManager.default.createFile(atPath: directory + "/file", contents: Data("ok".utf8))
        symlink("file", directory + "/link")
        symlink(directory, directory + "/dirlink")
        #expect(refusal(directory + "/link", me) == nil)
        #expect(refusal(directory + "/dirlink/../" + (directory as NSString).lastPathComponent + "/file", me) == nil)
    }

    @Test func theClientsRightsAreCheckedOnTheOpenFile() throws {
        guard getuid() == 0 else { return }  // needs files of another owner
        let directory = try temp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/secret", contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: directory + "/public", contents: Data("public".utf8), attributes: [.posixPermissions: 0o644])
        #expect(refusal(directory + "/secret", other)?.contains("may not read") == true)
        #expect(refusal(directory + "/public", other) == nil)
        try FileManager.default.createDirectory(atPath: directory + "/closed", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: directory + "/closed/x", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        #expect(refusal(directory + "/closed/x", other)?.contains("may not enter") == true)
    }

    /// 2,000 opens of `name` as the other client: how many opened, were
    /// refused, and opened something `wrong` says they must not have.
    func openRace(_ name: String, wrong: (Int32) -> Bool) -> (opened: Int, refused: Int, wrong: Int) {
        var opened = 0, refused = 0, bad = 0
        for _ in 0..<2000 {
            guard let fd = try? ClientFiles.openForReading(name, peer: other) else {
                refused += 1
                continue
            }
            if wrong(fd) { bad += 1 }
            close(fd)
            opened += 1
        }
        return (opened, refused, bad)
    }

    /// 2,000 opens while another thread swaps the name between a file the
    /// client may read and one it may not: every open yields the readable
    /// file or a refusal, never the secret.
    @Test func aSymlinkSwappedDuringTheOpenNeverLeaks() throws {
        guard getuid() == 0 else { print("ClientFilesTests: the symlink race is skipped (needs root to act as another uid)"); return }
        let directory = try temp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/secret", contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: directory + "/public", contents: Data("public".utf8), attributes: [.posixPermissions: 0o644])
        let name = directory + "/name"
        let swapping = Swapping(name, between: directory + "/public", and: directory + "/secret")
        let (opened, refused, leaks) = openRace(name) { fd in
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = read(fd, &buffer, buffer.count)
            return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self) == "secret"
        }
        swapping.stop()
        print("ClientFilesTests: symlink race: 2000 opens, \(opened) opened the public file, \(refused) refused, \(leaks) leaks")
        #expect(leaks == 0)
        #expect(opened > 0 && refused > 0, "the race was exercised: \(opened) opened, \(refused) refused")
    }

    /// 2,000 opens while another thread swaps the name between a readable
    /// file and a FIFO nobody writes: every open returns (the suite would
    /// hang otherwise), with the file or a refusal, never the FIFO.
    @Test func aFIFOSwappedDuringTheOpenNeverHangs() throws {
        guard getuid() == 0 else { print("ClientFilesTests: the FIFO race is skipped (needs root to act as another uid)"); return }
        let directory = try temp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/public", contents: Data("public".utf8), attributes: [.posixPermissions: 0o644])
        mkfifo(directory + "/fifo", 0o666)
        let name = directory + "/name"
        let swapping = Swapping(name, between: directory + "/public", and: directory + "/fifo")
        let (opened, refused, fifos) = openRace(name) { fd in
            var info = stat()
            fstat(fd, &info)
            return info.st_mode & S_IFMT != S_IFREG
        }
        swapping.stop()
        print("ClientFilesTests: FIFO race: 2000 opens, \(opened) opened the file, \(refused) refused, \(fifos) FIFOs, 0 hangs")
        #expect(fifos == 0)
        #expect(opened > 0 && refused > 0, "the race was exercised: \(opened) opened, \(refused) refused")
    }

    /// 2,000 exports while another thread swaps the target's directory
    /// between one the client may write in and one it may not: nothing is
    /// ever written in the forbidden one.
    @Test func aDirectorySwappedDuringAnExportNeverGetsAFile() throws {
        guard getuid() == 0 else { print("ClientFilesTests: the export race is skipped (needs root to act as another uid)"); return }
        let directory = try temp()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/open", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        try FileManager.default.createDirectory(atPath: directory + "/etc", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let name = directory + "/target"
        let swapping = Swapping(name, between: directory + "/open", and: directory + "/etc")
        var written = 0, refused = 0
        for i in 0..<2000 {
            do {
                try ClientFiles.createForWriting(name + "/out\(i)", peer: other) { fd in _ = write(fd, "x", 1) }
                written += 1
            } catch { refused += 1 }
        }
        swapping.stop()
        let outside = try FileManager.default.contentsOfDirectory(atPath: directory + "/etc").count
        print("ClientFilesTests: export race: 2000 exports, \(written) written, \(refused) refused, \(outside) files in the forbidden directory")
        #expect(outside == 0)
        #expect(written > 0 && refused > 0, "the race was exercised: \(written) written, \(refused) refused")
        // What was written belongs to the client.
        let first = try FileManager.default.contentsOfDirectory(atPath: directory + "/open").first.map { directory + "/open/" + $0 }
        if let first { #expect((try FileManager.default.attributesOfItem(atPath: first)[.ownerAccountID] as? Int) == 4321) }
    }
}

/// A thread that keeps pointing the symlink `name` at one target, then the
/// other (each swap atomic: a new link renamed over the old), until stopped.
final class Swapping: Sendable {
    private let running = Atomic<Bool>(true)

    init(_ name: String, between first: String, and second: String) {
        symlink(first, name)
        Thread { [self] in
            var flip = false
            while running.load(ordering: .relaxed) {
                let next = name + ".next"
                unlink(next)
                symlink(flip ? first : second, next)
                rename(next, name)
                flip.toggle()
            }
        }.start()
    }

    func stop() { running.store(false, ordering: .relaxed) }
}
