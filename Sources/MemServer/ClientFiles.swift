import Foundation
import MemAPI
#if canImport(Glibc)
import Glibc
#endif

/// Opens a file a client names, with the client's rights and without a
/// race: every check is made on an open descriptor, never on a name that
/// could be swapped in between.
///
/// The walk starts at `/` and opens each directory with `O_PATH |
/// O_NOFOLLOW`, checking on that descriptor that the client may search it;
/// a symlink met on the way is read (on the directory descriptor) and
/// walked the same way, at most 40 of them. The file itself is opened
/// `O_NOFOLLOW | O_NONBLOCK | O_NOCTTY` (so a FIFO or a device cannot hang
/// or grab the daemon) and checked on its descriptor: a regular file, not
/// in /proc or /sys, readable by the client. (ACLs are not consulted: the
/// check can refuse what the kernel would allow, never the reverse.)
enum ClientFiles {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let maxSymlinks = 40
    static let ownFiles = "is inside memosd's data directory; memosd never reads or writes its own files for a client"
    /// Linux's O_PATH (Glibc's Swift overlay does not export it): a descriptor for walking, not reading.
    private static let openPath: Int32 = 0o10_000_000
    /// The devices of /proc and /sys: a file on either is refused.
    private static let pseudoDevices: Set<UInt64> = Set(["/proc", "/sys"].compactMap { path -> UInt64? in
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_dev) : nil
    })

    /// A directory's identity (device, inode): memosd's data directory is one no walk may enter.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// A descriptor the client passed (SCM_RIGHTS): it opened the file with
    /// its own rights, so only what it is is checked — a regular file (never
    /// a FIFO, socket or device: reads must end), open for reading or writing.
    static func checkPassed(_ fd: Int32, writing: Bool) throws(Refusal) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Refusal("cannot read the status of the passed file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Refusal("is not a regular file (FIFOs, sockets and devices are refused)") }
        let mode = fcntl(fd, F_GETFL) & O_ACCMODE
        if writing, mode == O_RDONLY { throw Refusal("was opened read-only; open it for writing") }
        if !writing, mode == O_WRONLY { throw Refusal("was opened write-only; open it for reading") }
    }

    /// A descriptor open for reading on `path` (the caller closes it).
    static func openForReading(_ path: String, peer given: PeerCredentials?, forbidden: Identity? = nil) throws(Refusal) -> Int32 {
        let peer = given?.uid == 0 ? nil : given  // root may read what it likes; the file checks still apply
        let groups = peer.map(PeerAccess.groups(of:)) ?? []
        let (directory, name, shown) = try walk(path, peer: peer, groups: groups, followLast: true, forbidden: forbidden)
        defer { close(directory) }
        let fd = openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            throw Refusal(errno == ENOENT ? "\(shown) does not exist" : "cannot open \(shown): \(String(cString: strerror(errno)))")
        }
        do {
            try checkFile(fd, peer: peer, groups: groups, bits: (S_IRUSR, S_IRGRP, S_IROTH), need: "read")
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Writes a new file at `path` as the client could: its directory is
    /// reached by the same walk and must be writable by the client; an
    /// existing file there must be a regular file (not a symlink) the client
    /// may write. `write` fills a temp file beside it, which then replaces
    /// `path` at once (renameat on the directory descriptor); when memosd
    /// runs as root the file is given to the client.
    static func createForWriting(
        _ path: String, peer given: PeerCredentials?, forbidden: Identity? = nil, write: (Int32) throws -> Void
    ) throws {
        let peer = given?.uid == 0 ? nil : given
        let groups = peer.map(PeerAccess.groups(of:)) ?? []
        let (directory, name, shown) = try walk(path, peer: peer, groups: groups, followLast: false, forbidden: forbidden)
        defer { close(directory) }
        var info = stat()
        guard fstat(directory, &info) == 0 else { throw Refusal("cannot read the status of \((shown as NSString).deletingLastPathComponent)") }
        if let peer, !PeerAccess.allowed(info, peer: peer, groups: groups, bits: (S_IWUSR, S_IWGRP, S_IWOTH)) {
            throw Refusal("the client (uid \(peer.uid)) may not write in \((shown as NSString).deletingLastPathComponent)")
        }
        if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw Refusal("exists and is not a regular file (symlinks are refused)") }
            if let peer, !PeerAccess.allowed(info, peer: peer, groups: groups, bits: (S_IWUSR, S_IWGRP, S_IWOTH)) {
                throw Refusal("the client (uid \(peer.uid)) may not overwrite it")
            }
        }
        let temp = "." + name + ".memos-" + UUID().uuidString.prefix(8)
        let fd = openat(directory, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Refusal("cannot create a file in \((shown as NSString).deletingLastPathComponent): \(String(cString: strerror(errno)))") }
        do {
            defer { close(fd) }
            if let given, given.uid != getuid() { _ = fchown(fd, given.uid, given.gid) }
            try write(fd)
            guard fsync(fd) == 0 else { throw Refusal("cannot write \(shown): \(String(cString: strerror(errno)))") }
        } catch {
            unlinkat(directory, temp, 0)
            throw error
        }
        guard renameat(directory, temp, directory, name) == 0 else {
            let reason = String(cString: strerror(errno))
            unlinkat(directory, temp, 0)
            throw Refusal("cannot write \(shown): \(reason)")
        }
    }

    /// The directory holding `path`'s last component (open, searched by the
    /// client, none of them `forbidden`), that component's name, and the
    /// path as walked (for messages).
    private static func walk(
        _ path: String, peer: PeerCredentials?, groups: Set<UInt32>, followLast: Bool, forbidden: Identity?
    ) throws(Refusal) -> (Int32, String, String) {
        guard path.hasPrefix("/") else { throw Refusal("must be an absolute path") }
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var directory = try openDirectory("/", at: AT_FDCWD, shown: "/", peer: peer, groups: groups, forbidden: forbidden)
        var shown = ""
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." { continue }
            let isLast = pending.isEmpty
            var info = stat()
            let exists = fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0
            if isLast && name != ".." && (!exists || (info.st_mode & S_IFMT) != S_IFLNK || !followLast) {
                if exists, (info.st_mode & S_IFMT) == S_IFLNK {
                    close(directory)
                    throw Refusal("\(shown)/\(name) is a symbolic link; name the file itself")
                }
                if exists, let forbidden, Identity(info) == forbidden {
                    close(directory)
                    throw Refusal(ownFiles)
                }
                return (directory, name, shown + "/" + name)
            }
            guard exists else {
                close(directory)
                throw Refusal(errno == ENOENT ? "\(shown)/\(name) does not exist" : "cannot open \(shown)/\(name): \(String(cString: strerror(errno)))")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                links += 1
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(directory, name, &buffer, buffer.count - 1)
                guard links <= maxSymlinks, n > 0 else {
                    close(directory)
                    throw Refusal(links > maxSymlinks ? "has more than \(maxSymlinks) symbolic links" : "cannot read the link \(shown)/\(name)")
                }
                let target = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                pending = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init) + pending
                if target.hasPrefix("/") {
                    close(directory)
                    directory = try openDirectory("/", at: AT_FDCWD, shown: "/", peer: peer, groups: groups, forbidden: forbidden)
                    shown = ""
                }
                continue
            }
            let next: Int32
            do { next = try openDirectory(name, at: directory, shown: shown + "/" + name, peer: peer, groups: groups, forbidden: forbidden) } catch {
                close(directory)
                throw error
            }
            close(directory)
            directory = next
            shown = name == ".." ? (shown as NSString).deletingLastPathComponent : shown + "/" + name
            if shown == "/" { shown = "" }
        }
        close(directory)
        throw Refusal("names a directory, not a file")
    }

    private static func openDirectory(
        _ name: String, at parent: Int32, shown: String, peer: PeerCredentials?, groups: Set<UInt32>, forbidden: Identity?
    ) throws(Refusal) -> Int32 {
        let fd = openat(parent, name, openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Refusal("cannot enter \(shown): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw Refusal("cannot enter \(shown)")
        }
        if let peer, !PeerAccess.allowed(info, peer: peer, groups: groups, bits: (S_IXUSR, S_IXGRP, S_IXOTH)) {
            close(fd)
            throw Refusal("the client (uid \(peer.uid)) may not enter \(shown)")
        }
        if let forbidden, Identity(info) == forbidden {
            close(fd)
            throw Refusal(ownFiles)
        }
        return fd
    }

    private static func checkFile(
        _ fd: Int32, peer: PeerCredentials?, groups: Set<UInt32>, bits: (mode_t, mode_t, mode_t), need: String
    ) throws(Refusal) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Refusal("cannot read its status") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Refusal("is not a regular file (devices, FIFOs and sockets are refused)") }
        if pseudoDevices.contains(UInt64(info.st_dev)) { throw Refusal("is in /proc or /sys; memosd reads only ordinary files") }
        if let peer, !PeerAccess.allowed(info, peer: peer, groups: groups, bits: bits) {
            throw Refusal("the client (uid \(peer.uid)) may not \(need) it")
        }
    }
}
