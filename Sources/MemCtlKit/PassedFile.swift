#if canImport(Glibc)
import Glibc
#endif

/// A file memctl opens with the user's own rights to hand to memosd over the
/// socket (SCM_RIGHTS): memosd reads or writes the open file and never opens
/// a path itself. One small wrapper around open/close.
struct PassedFile {
    let fd: Int32
    let path: String
    /// `writing` created the file: `discard` removes it again.
    var created = false

    init(reading path: String) throws(UsageError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UsageError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
    }

    /// Created 0600 when new; left as it is until memosd writes it (it
    /// empties the file first), so a refused request changes nothing.
    init(writing path: String) throws(UsageError) {
        var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            created = true
        } else if errno == EEXIST {
            fd = open(path, O_WRONLY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw UsageError("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
    }

    func close() { _ = Glibc.close(fd) }

    /// After a failed request: closes, and removes the file if memctl created it.
    func discard() {
        close()
        if created { unlink(path) }
    }
}
