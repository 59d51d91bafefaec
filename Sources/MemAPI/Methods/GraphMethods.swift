import MemCube

// memory.link and graph.neighbors: links between memories.

/// `memory.link`: a typed, weighted edge between two memories; recall's
/// graph signal follows it.
public enum MemoryLink: RPCMethod {
    public static let name = "memory.link"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var from: String
        public var to: String
        /// Default `related`; `next` and `derived` are reserved.
        public var type: String?
        /// 0...1, default 1.
        public var weight: Double?
        public var agent: String?

        public init(namespace: String, from: String, to: String, type: String? = nil, weight: Double? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.from = from
            self.to = to
            self.type = type
            self.weight = weight
            self.agent = agent
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, from, to, type, weight, agent }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var from: String
        public var to: String
        public var type: String
        public var weight: Double

        public init(from: String, to: String, type: String, weight: Double) {
            self.from = from
            self.to = to
            self.type = type
            self.weight = weight
        }
    }
}

/// `graph.neighbors`: a memory's neighbourhood, for agents that browse.
public enum GraphNeighbors: RPCMethod {
    public static let name = "graph.neighbors"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var id: String
        public var limit: Int?

        public init(namespace: String, id: String, limit: Int? = nil) {
            self.namespace = namespace
            self.id = id
            self.limit = limit
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, id, limit }
    }

    public struct WireEntity: Codable, Sendable, Hashable {
        public var key: String
        public var display: String
        public var kind: String
        /// How many memories mention it.
        public var mentions: Int

        public init(key: String, display: String, kind: String, mentions: Int) {
            self.key = key
            self.display = display
            self.kind = kind
            self.mentions = mentions
        }
    }

    public struct WireNeighbor: Codable, Sendable, Hashable {
        public var id: String
        public var text: String?
        /// `next`/`previous` (session order), `derived`/`source`, a link's
        /// type (`related`...), or `entity` (a shared entity).
        public var relation: String
        public var weight: Double
        /// For `entity` neighbours: the shared entities' display names.
        public var via: [String]?

        public init(id: String, text: String?, relation: String, weight: Double, via: [String]? = nil) {
            self.id = id
            self.text = text
            self.relation = relation
            self.weight = weight
            self.via = via
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var entities: [WireEntity]
        public var neighbors: [WireNeighbor]

        public init(id: String, entities: [WireEntity], neighbors: [WireNeighbor]) {
            self.id = id
            self.entities = entities
            self.neighbors = neighbors
        }
    }
}
