import MemCube

/// The peer's credentials, read from the socket with SO_PEERCRED.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// What a handler knows about the request beyond its params.
public struct RequestContext: Sendable {
    public var peer: PeerCredentials?
    public var now: Timestamp
    /// The socket the request came on (nil in-process): subscriptions push notifications to it.
    public var connection: ClientConnection?
    /// Descriptors the client passed with this request (SCM_RIGHTS).
    public var files: PassedFiles?

    /// `now` is the service's clock at the request (`MemoryService.clock`).
    public init(peer: PeerCredentials?, now: Timestamp) {
        self.peer = peer
        self.now = now
    }
}
