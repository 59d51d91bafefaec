import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether the client on the other end of the socket may read or write a
/// path, judged from its uid and groups (SO_PEERCRED) against the file's
/// owner and mode bits and the search bit of every directory above it.
///
/// memosd may run with more rights than its client; without this check a
/// client could make it read another user's file into a memory, or write
/// over one with `export_to`. (ACLs and capabilities are not consulted:
/// the check can refuse what the kernel would allow, never the reverse.)
enum PeerAccess {
    enum Need { case read, write }

    /// nil when allowed, else why not (for the error message).
    static func check(_ path: String, _ need: Need, peer: PeerCredentials?) -> String? {
        guard let peer else { return nil }  // in-process caller
        guard path.hasPrefix("/") else { return "must be an absolute path" }
        if peer.uid == 0 { return nil }
        let groups = groups(of: peer)
        var directory = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for component in components.dropLast() {
            directory += "/" + component
            guard let info = status(directory) else { return "\(directory) does not exist" }
            guard allowed(info, peer: peer, groups: groups, bits: (S_IXUSR, S_IXGRP, S_IXOTH)) else {
                return "the client (uid \(peer.uid)) may not enter \(directory)"
            }
        }
        switch need {
        case .read:
            guard let info = status(path) else { return "no such file" }
            guard (info.st_mode & S_IFMT) == S_IFREG else { return "is not a regular file" }
            guard allowed(info, peer: peer, groups: groups, bits: (S_IRUSR, S_IRGRP, S_IROTH)) else {
                return "the client (uid \(peer.uid)) may not read it"
            }
        case .write:
            let parent = directory.isEmpty ? "/" : directory
            guard let info = status(parent) else { return "\(parent) does not exist" }
            guard allowed(info, peer: peer, groups: groups, bits: (S_IWUSR, S_IWGRP, S_IWOTH)) else {
                return "the client (uid \(peer.uid)) may not write in \(parent)"
            }
            if let existing = status(path) {
                guard (existing.st_mode & S_IFMT) == S_IFREG else { return "exists and is not a regular file" }
                guard allowed(existing, peer: peer, groups: groups, bits: (S_IWUSR, S_IWGRP, S_IWOTH)) else {
                    return "the client (uid \(peer.uid)) may not overwrite it"
                }
            }
        }
        return nil
    }

    /// Whether `path` (existing or not, symlinks resolved) lies inside
    /// `directory`: memosd never reads or writes its own files for a client.
    static func isInside(_ path: String, directory: String) -> Bool {
        func resolved(_ p: String) -> String? {
            guard let c = realpath(p, nil) else { return nil }
            defer { free(c) }
            return String(cString: c)
        }
        guard let root = resolved(directory) else { return false }
        let parent = (path as NSString).deletingLastPathComponent
        let full = resolved(path) ?? resolved(parent.isEmpty ? "." : parent).map { $0 + "/" + (path as NSString).lastPathComponent } ?? path
        return full == root || full.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    private static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    static func allowed(_ info: stat, peer: PeerCredentials, groups: Set<UInt32>, bits: (mode_t, mode_t, mode_t)) -> Bool {
        if info.st_uid == peer.uid { return info.st_mode & bits.0 != 0 }
        if groups.contains(info.st_gid) { return info.st_mode & bits.1 != 0 }
        return info.st_mode & bits.2 != 0
    }

    /// The peer's primary group and its supplementary groups (from the group database).
    static func groups(of peer: PeerCredentials) -> Set<UInt32> {
        var result: Set<UInt32> = [peer.gid]
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 4096)
        var found: UnsafeMutablePointer<passwd>?
        guard getpwuid_r(peer.uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name else {
            return result
        }
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, peer.gid, &list, &count) == -1 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, peer.gid, &list, &count)
        }
        for gid in list.prefix(Int(max(0, count))) { result.insert(gid) }
        return result
    }
}
