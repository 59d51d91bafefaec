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
    /// Linux's O_PATH (Glibc's Swift overlay does not export it): a descriptor for walking, not reading.
    private static let openPath: Int32 = 0o10_000_000
    /// The devices of /proc and /sys: a file on either is refused.
    private static let pseudoDevices: Set<UInt64> = Set(["/proc", "/sys"].compactMap { path -> UInt64? in
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_dev) : nil
    })

    /// A descriptor open for reading on `path` (the caller closes it).
    static func openForReading(_ path: String, peer given: PeerCredentials?) throws(Refusal) -> Int32 {
        guard path.hasPrefix("/") else { throw Refusal("must be an absolute path") }
        let peer = given?.uid == 0 ? nil : given  // root may read what it likes; the file checks still apply
        let groups = peer.map(PeerAccess.groups(of:)) ?? []
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var directory = try openDirectory("/", at: AT_FDCWD, shown: "/", peer: peer, groups: groups)
        var shown = ""
        var links = 0
        defer { close(directory) }
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." { continue }
            let isLast = pending.isEmpty
            var info = stat()
            guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw Refusal(errno == ENOENT ? "\(shown)/\(name) does not exist" : "cannot open \(shown)/\(name): \(String(cString: strerror(errno)))")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                links += 1
                guard links <= maxSymlinks else { throw Refusal("has more than \(maxSymlinks) symbolic links") }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(directory, name, &buffer, buffer.count - 1)
                guard n > 0 else { throw Refusal("cannot read the link \(shown)/\(name)") }
                let target = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let parts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
                pending = parts + pending
                if target.hasPrefix("/") {
                    close(directory)
                    directory = try openDirectory("/", at: AT_FDCWD, shown: "/", peer: peer, groups: groups)
                    shown = ""
                }
                continue
            }
            if name == ".." || !isLast {
                let next = try openDirectory(name, at: directory, shown: shown + "/" + name, peer: peer, groups: groups)
                close(directory)
                directory = next
                shown = name == ".." ? (shown as NSString).deletingLastPathComponent : shown + "/" + name
                if shown == "/" { shown = "" }
                continue
            }
            let fd = openat(directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
            guard fd >= 0 else { throw Refusal("cannot open \(shown)/\(name): \(String(cString: strerror(errno)))") }
            do {
                try checkFile(fd, peer: peer, groups: groups)
            } catch {
                close(fd)
                throw error
            }
            return fd
        }
        throw Refusal("names a directory, not a file")
    }

    private static func openDirectory(_ name: String, at parent: Int32, shown: String, peer: PeerCredentials?, groups: Set<UInt32>) throws(Refusal) -> Int32 {
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
        return fd
    }

    private static func checkFile(_ fd: Int32, peer: PeerCredentials?, groups: Set<UInt32>) throws(Refusal) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Refusal("cannot read its status") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Refusal("is not a regular file (devices, FIFOs and sockets are refused)") }
        if pseudoDevices.contains(UInt64(info.st_dev)) { throw Refusal("is in /proc or /sys; memosd reads only ordinary files") }
        if let peer, !PeerAccess.allowed(info, peer: peer, groups: groups, bits: (S_IRUSR, S_IRGRP, S_IROTH)) {
            throw Refusal("the client (uid \(peer.uid)) may not read it")
        }
    }
}
