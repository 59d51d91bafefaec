#if canImport(Glibc)
import Glibc
#endif

/// Which local users may connect at all: the daemon's own user and root,
/// plus those let in with `--allow-uid` / `--allow-gid` (a user is in a group
/// by its primary group or the group database). What an admitted user may
/// then read and write is `NamespaceAccess`'s business.
public struct Admission: Sendable, Equatable {
    public var uids: Set<UInt32> = []
    public var gids: Set<UInt32> = []

    public init(uids: Set<UInt32> = [], gids: Set<UInt32> = []) {
        self.uids = uids
        self.gids = gids
    }

    /// Only the daemon's own user and root.
    public var isEmpty: Bool { uids.isEmpty && gids.isEmpty }

    func admits(_ peer: PeerCredentials, daemonUID: UInt32 = getuid()) -> Bool {
        if peer.uid == daemonUID || peer.uid == 0 || uids.contains(peer.uid) { return true }
        guard !gids.isEmpty else { return false }
        return !PeerAccess.groups(of: peer).isDisjoint(with: gids)
    }

    /// How a refused user can be let in, for its error message.
    static func refusal(_ peer: PeerCredentials, daemonUID: UInt32 = getuid()) -> String {
        "user \(peer.uid) may not use this memosd (it runs as user \(daemonUID)); its owner can let you in with memosd --allow-uid \(peer.uid)"
    }
}
