import MemAPI
import MemCube
import MemStore
import Synchronization

/// Who may use which namespace, once other local users are let in
/// (`--allow-uid`, `--allow-gid`; docs/security.md).
///
/// The daemon's own user and root may do everything (the data directory is
/// theirs anyway). Every other user may use the namespaces they own (the
/// first write to a namespace nobody owns makes the writer its owner) and
/// those shared with them, read or read-write. Namespaces that existed
/// before owners were recorded, and `default`, belong to the daemon's user.
///
/// Each method declares what it needs (`MethodAccess`); `Dispatcher.entry`
/// calls `require` before the handler runs, and the per-item handlers call
/// `canRead`/`require` for what they find.
///
/// Concurrency: owners and shares are kept in memory behind one mutex,
/// loaded at init; a change is written to the store and then to memory
/// while the lock is held, so the two never disagree.
public final class NamespaceAccess: Sendable {
    public enum Need: Sendable { case read, write }

    /// The user memosd runs as.
    public let daemonUID: UInt32
    private let store: any CubeStore

    private struct State {
        var owners: [String: UInt32]
        var shares: [String: [UInt32: ShareAccess]]
        /// Namespaces claimed by writes still running: the claim is kept
        /// (others are refused meanwhile) and stored once the last of them
        /// ends, if the namespace then holds memories; dropped otherwise.
        var pending: [String: Int] = [:]
    }

    /// A write's claim on a namespace nobody owned; `settle` it when the write ends.
    public struct Claim: Sendable {
        let namespace: String
        let owner: UInt32
    }
    private let state: Mutex<State>

    public init(store: any CubeStore, daemonUID: UInt32, now: Timestamp) throws {
        self.store = store
        self.daemonUID = daemonUID
        try store.claimUnownedNamespaces(owner: daemonUID, also: ["default"], at: now)
        var shares: [String: [UInt32: ShareAccess]] = [:]
        for share in try store.namespaceShares() { shares[share.namespace, default: [:]][share.uid] = share.access }
        state = Mutex(State(owners: try store.namespaceOwners(), shares: shares))
    }

    /// The daemon's user, root, or an in-process caller (no peer).
    public func isDaemonOwner(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return true }
        return peer.uid == daemonUID || peer.uid == 0
    }

    private func uid(_ peer: PeerCredentials?) -> UInt32 { peer?.uid ?? daemonUID }

    /// Throws `permission_denied` unless `peer` may read or write `namespace`.
    /// A write to a namespace nobody owns claims it for the writer: the claim
    /// returned must be `settle`d when the write ends.
    @discardableResult
    public func require(_ need: Need, namespace: String, peer: PeerCredentials?) throws -> Claim? {
        try state.withLock { state in
            guard let owner = state.owners[namespace] else {
                // Nobody owns it: nothing to read; a write claims it.
                guard need == .write else { return nil }
                state.owners[namespace] = uid(peer)
                state.pending[namespace, default: 0] += 1
                return Claim(namespace: namespace, owner: uid(peer))
            }
            if state.pending[namespace] != nil, owner == uid(peer) || isDaemonOwner(peer) {
                state.pending[namespace, default: 0] += 1
                return Claim(namespace: namespace, owner: owner)
            }
            if isDaemonOwner(peer) || owner == uid(peer) { return nil }
            switch (need, state.shares[namespace]?[uid(peer)]) {
            case (.read, .some), (.write, .readWrite?): return nil
            case (.write, .read?):
                throw RPCError(
                    .permissionDenied,
                    "namespace '\(namespace)' is shared with user \(uid(peer)) to read only; its owner (user \(owner)) can share it read-write",
                    field: "params.namespace")
            default:
                throw Self.denied(namespace, owner: owner, uid: uid(peer))
            }
        }
    }

    /// Ends a write's claim: once no claiming write is running, the owner is
    /// stored if the namespace holds memories, else the claim is dropped (a
    /// refused write leaves no trace).
    public func settle(_ claim: Claim?, now: Timestamp) {
        guard let claim else { return }
        state.withLock { state in
            let left = (state.pending[claim.namespace] ?? 1) - 1
            guard left <= 0 else {
                state.pending[claim.namespace] = left
                return
            }
            state.pending[claim.namespace] = nil
            do {
                if try store.namespaceHasMemories(claim.namespace) {
                    state.owners[claim.namespace] = try store.claimNamespace(claim.namespace, owner: claim.owner, at: now)
                } else {
                    state.owners[claim.namespace] = nil
                }
            } catch {
                // Not stored: the owner stays claimed in memory until restart,
                // and is claimed again by the next write then.
            }
        }
    }

    /// The check `Dispatcher.entry` makes before a method's handler runs;
    /// a claim it returns is settled when the handler ends.
    func check(_ rule: MethodAccess, method: String, params: Any, context: RequestContext) throws -> Claim? {
        switch rule {
        case .anyone, .perItem, .namespaceOwner:
            // namespace.share and .unshare check the owner in `setShare`.
            return nil
        case .daemonOwner:
            try requireDaemonOwner(context.peer, method: method)
            return nil
        case .read, .write:
            guard let scoped = params as? any NamespacedParams else {
                throw RPCError(.internalError, "\(method) is declared per namespace but its params name none")
            }
            return try require(rule == .read ? .read : .write, namespace: scoped.namespace, peer: context.peer)
        }
    }

    /// Whether `peer` may read `namespace` (per-item methods filter with it).
    public func canRead(_ namespace: String, peer: PeerCredentials?) -> Bool {
        if isDaemonOwner(peer) { return true }
        do {
            try require(.read, namespace: namespace, peer: peer)  // a read never claims
            return true
        } catch {
            return false
        }
    }

    /// Throws `permission_denied` unless `peer` is the daemon's own user (or root).
    public func requireDaemonOwner(_ peer: PeerCredentials?, method: String, hint: String = "") throws {
        guard isDaemonOwner(peer) else {
            throw RPCError(
                .permissionDenied,
                "\(method) is only for the user memosd runs as (user \(daemonUID)), not user \(uid(peer))\(hint)")
        }
    }

    static func denied(_ namespace: String, owner: UInt32, uid: UInt32) -> RPCError {
        RPCError(
            .permissionDenied,
            "namespace '\(namespace)' belongs to user \(owner) and is not shared with user \(uid); use a namespace of your own or ask its owner to run: memctl namespace share \(namespace) \(uid)",
            field: "params.namespace")
    }

    /// Shares (`access`) or unshares (nil) `namespace` with `target`: the
    /// owner or the daemon's user may. Returns (owner, the access before).
    public func setShare(
        namespace: String, target: UInt32, access: ShareAccess?, peer: PeerCredentials?, agent: String? = nil, now: Timestamp
    ) throws -> (owner: UInt32, previous: ShareAccess?) {
        try state.withLock { state in
            guard let owner = state.owners[namespace] else {
                throw RPCError(.notFound, "no namespace named '\(namespace)'; it is created by its first write", field: "params.namespace")
            }
            guard isDaemonOwner(peer) || owner == uid(peer) else {
                throw RPCError(
                    .permissionDenied, "only the owner of namespace '\(namespace)' (user \(owner)) can change whom it is shared with",
                    field: "params.namespace")
            }
            if access != nil, target == owner || target == daemonUID || target == 0 {
                throw RPCError(
                    .invalidParams, "user \(target) already has every right in namespace '\(namespace)'; share it with another user",
                    field: "params.uid")
            }
            let provenance = Provenance(agent: agent, peerUID: peer?.uid, peerPID: peer?.pid, operation: access == nil ? .unshare : .share)
            let previous = try store.setShare(namespace: namespace, uid: target, access: access, by: provenance, at: now)
            state.shares[namespace, default: [:]][target] = access
            return (owner, previous)
        }
    }

    /// The namespaces `peer` may use, sorted, with its access to each and,
    /// where it may see them, the shares.
    public func visible(to peer: PeerCredentials?) -> [NamespaceList.Entry] {
        state.withLock { state in
            state.owners.keys.sorted().compactMap { namespace -> NamespaceList.Entry? in
                let owner = state.owners[namespace] ?? daemonUID
                let shares = state.shares[namespace] ?? [:]
                let access: String
                if owner == uid(peer) { access = "owner" }
                else if isDaemonOwner(peer) { access = "all" }
                else if let shared = shares[uid(peer)] { access = shared.rawValue }
                else { return nil }
                let listed = (access == "owner" || access == "all")
                    ? shares.sorted { $0.key < $1.key }.map { WireShare(uid: Int($0.key), access: $0.value.rawValue) } : nil
                return NamespaceList.Entry(namespace: namespace, owner: Int(owner), access: access, shares: listed)
            }
        }
    }
}
