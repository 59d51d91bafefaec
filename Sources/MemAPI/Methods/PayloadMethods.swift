import MemCube

// memory.fuse and memory.compose: new payloads from stored ones.

/// `memory.fuse`: merges parameter memories (LoRA adapters of one base
/// model) into a new parameter memory.
public enum MemoryFuse: RPCMethod {
    public static let name = "memory.fuse"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var ids: [String]
        /// One per id (default all 1).
        public var weights: [Double]?
        /// `cat` (default, exact) or `linear` (same rank).
        public var method: String?
        /// A description of the result.
        public var text: String?
        public var tags: [String]?
        public var agent: String?

        public init(
            namespace: String, ids: [String], weights: [Double]? = nil, method: String? = nil, text: String? = nil,
            tags: [String]? = nil, agent: String? = nil
        ) {
            self.namespace = namespace
            self.ids = ids
            self.weights = weights
            self.method = method
            self.text = text
            self.tags = tags
            self.agent = agent
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, ids, weights, method, text, tags, agent }
    }

    /// The new memory.
    public typealias Result = MemoryUpdate.Result
}

/// `memory.compose`: concatenates activation memories (KV snapshots of one
/// model) along the token axis into a new activation memory.
public enum MemoryCompose: RPCMethod {
    public static let name = "memory.compose"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        /// In order: the result is their inputs read one after the other.
        public var ids: [String]
        public var text: String?
        public var tags: [String]?
        public var agent: String?

        public init(namespace: String, ids: [String], text: String? = nil, tags: [String]? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.ids = ids
            self.text = text
            self.tags = tags
            self.agent = agent
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, ids, text, tags, agent }
    }

    public typealias Result = MemoryFuse.Result
}
