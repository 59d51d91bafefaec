import Foundation
import MemAPI
#if canImport(Glibc)
import Glibc
#endif

/// memosd's data directory: one daemon per directory, and private.
///
/// `claim` takes an exclusive flock on `<data-dir>/memosd.lock` (held until
/// the process exits), so a second memosd on the same directory — with any
/// socket — is refused instead of diverging from the first. The lock lives
/// in the 0700 data directory, where no other user can take it first.
///
/// `makePrivate` makes the directory 0700 and every file below it 0600
/// (directories 0700), and says what it had to fix: the database, its WAL
/// and the blobs hold what people told their agents.
enum DataDirectory {
    static let lockName = "memosd.lock"

    /// The descriptor holding the lock (keep it open).
    static func claim(_ directory: String) throws -> Int32 {
        let path = directory + "/" + lockName
        let fd = try Syscall.run("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw DaemonError.dataDirectoryInUse(directory)
        }
        return fd
    }

    /// Fixes modes wider than 0700 (directories) and 0600 (files); returns the paths fixed.
    @discardableResult
    static func makePrivate(_ directory: String) -> [String] {
        widerThanPrivate(directory).filter { path, mode in chmod(path, mode) == 0 }.map(\.path)
    }

    /// This user's files and directories below `directory` (and itself) that
    /// others may read or enter, each with the mode it should have.
    static func widerThanPrivate(_ directory: String) -> [(path: String, mode: mode_t)] {
        var loose: [(path: String, mode: mode_t)] = []
        func check(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == getuid() else { return }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFDIR || kind == S_IFREG else { return }  // symlinks and sockets are left alone
            let wanted: mode_t = kind == S_IFDIR ? 0o700 : 0o600
            if info.st_mode & 0o077 != 0 { loose.append((path, (info.st_mode & 0o700) | wanted)) }
        }
        check(directory)
        for name in FileManager.default.enumerator(atPath: directory)?.compactMap({ $0 as? String }) ?? [] {
            check(directory + "/" + name)
        }
        return loose
    }
}
