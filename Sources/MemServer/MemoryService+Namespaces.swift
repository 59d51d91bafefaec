import MemAPI
import MemCube

/// namespace.*: params checked here; owners and shares live in `NamespaceAccess`.
extension MemoryService {
    func share(_ params: NamespaceShare.Params, _ context: RequestContext) throws -> NamespaceShare.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let target = try Self.uid(params.uid)
        let accessName = params.access ?? ShareAccess.read.rawValue
        guard let access = ShareAccess(rawValue: accessName) else {
            throw ValidationError(field: "access", "must be read or read-write (got '\(accessName)')")
        }
        let (owner, previous) = try namespaces.setShare(
            namespace: params.namespace, target: target, access: access, peer: context.peer, now: context.now)
        return NamespaceShare.Result(
            namespace: params.namespace, owner: Int(owner), uid: params.uid, access: access.rawValue, previous: previous?.rawValue)
    }

    func unshare(_ params: NamespaceUnshare.Params, _ context: RequestContext) throws -> NamespaceUnshare.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let target = try Self.uid(params.uid)
        let (_, previous) = try namespaces.setShare(
            namespace: params.namespace, target: target, access: nil, peer: context.peer, now: context.now)
        return NamespaceUnshare.Result(namespace: params.namespace, uid: params.uid, removed: previous?.rawValue)
    }

    func listNamespaces(_ params: NoParams, _ context: RequestContext) -> NamespaceList.Result {
        NamespaceList.Result(namespaces: namespaces.visible(to: context.peer))
    }

    /// A user id from the wire: 0 to 2^32 - 2 ((uid_t)-1 means "no user").
    static func uid(_ value: Int, field: String = "uid") throws -> UInt32 {
        guard let uid = UInt32(exactly: value), uid != UInt32.max else {
            throw ValidationError(field: field, "must be a user id from 0 to 4294967294 (got \(value))")
        }
        return uid
    }
}
