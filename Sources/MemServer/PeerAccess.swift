import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether the client on the other end of the socket (its uid and groups,
/// from SO_PEERCRED) may read, write or search a file, judged from the
/// file's owner and mode bits. `ClientFiles` applies it to descriptors it
/// opened, never to names.
enum PeerAccess {
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
