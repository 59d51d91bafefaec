import MemCube
import MemJSON

// memory.recall, .get, .history, .list: the methods that read memories.

/// `memory.recall`: the best memories for a query, best first.
public enum MemoryRecall: RPCMethod {
    public static let name = "memory.recall"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var query: String
        public var k: Int?
        public var filter: WireFilter?
        public var explain: Bool?
        /// Per-request fusion weights by signal name (`vector`, `keyword`).
        public var weights: [String: Double]?
        /// `rrf` (reciprocal rank) or `relative` (min-max scaled scores).
        public var fusion: String?
        /// "Now" for time phrases in the query and for recency (default: now).
        public var referenceTime: Timestamp?
        /// MMR diversity 0...1 (default 0: off).
        public var diversity: Double?
        /// Archived memories take part only when this is true.
        public var includeArchive: Bool?
        /// How many consolidation summaries to return beside the hits (0...10, default 2).
        public var summaries: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case namespace, query, k, filter, explain, weights, fusion, diversity, summaries
            case referenceTime = "reference_time", includeArchive = "include_archive"
        }

        public init(
            namespace: String, query: String, k: Int? = nil, filter: WireFilter? = nil, explain: Bool? = nil,
            weights: [String: Double]? = nil, fusion: String? = nil, referenceTime: Timestamp? = nil, diversity: Double? = nil,
            includeArchive: Bool? = nil
        ) {
            self.includeArchive = includeArchive
            self.fusion = fusion
            self.referenceTime = referenceTime
            self.diversity = diversity
            self.namespace = namespace
            self.query = query
            self.k = k
            self.filter = filter
            self.explain = explain
            self.weights = weights
        }
    }

    public struct Signal: Codable, Sendable, Hashable {
        public var rank: Int
        public var score: Double
        /// With `explain`: what the signal added to the fused score.
        public var contribution: Double?
        /// With `explain`: the signal's weight in the fusion.
        public var weight: Double?

        public init(rank: Int, score: Double, contribution: Double? = nil, weight: Double? = nil) {
            self.rank = rank
            self.score = score
            self.contribution = contribution
            self.weight = weight
        }
    }

    public struct Hit: Codable, Sendable, Hashable {
        public var id: String
        public var score: Double
        public var text: String?
        public var version: Int
        public var tags: [String]
        public var attributes: [String: JSONValue]
        public var importance: Double
        public var agent: String?
        public var session: String?
        public var speaker: String?
        public var occurredAt: Timestamp?
        public var createdAt: Timestamp
        public var signals: [String: Signal]
        /// When the fact stopped holding (a newer fact with the same key superseded it).
        public var validTo: Timestamp?
        /// From when the fact holds, when the writer said.
        public var validFrom: Timestamp?
        /// Active memories consolidation found likely to contradict this one.
        public var conflictsWith: [String]?
        /// With `explain`: the fused score, each boost and the time phrase understood.
        public var explain: Explanation?

        public struct Explanation: Codable, Sendable, Hashable {
            public var fused: Double
            public var boosts: [String: Double]
            public var timePhrase: String?

            enum CodingKeys: String, CodingKey {
                case fused, boosts
                case timePhrase = "time_phrase"
            }

            public init(fused: Double, boosts: [String: Double], timePhrase: String?) {
                self.fused = fused
                self.boosts = boosts
                self.timePhrase = timePhrase
            }
        }

        enum CodingKeys: String, CodingKey {
            case id, score, text, version, tags, attributes, importance, agent, session, speaker, signals, explain
            case occurredAt = "occurred_at", createdAt = "created_at", validTo = "valid_to", conflictsWith = "conflicts_with"
            case validFrom = "valid_from"
        }

        public init(
            id: String, score: Double, text: String?, version: Int, tags: [String],
            attributes: [String: JSONValue], importance: Double, agent: String?, session: String?,
            occurredAt: Timestamp?, createdAt: Timestamp, signals: [String: Signal], validTo: Timestamp? = nil,
            conflictsWith: [String]? = nil, explain: Explanation? = nil, speaker: String? = nil, validFrom: Timestamp? = nil
        ) {
            self.validFrom = validFrom
            self.speaker = speaker
            self.validTo = validTo
            self.conflictsWith = conflictsWith
            self.explain = explain
            self.id = id
            self.score = score
            self.text = text
            self.version = version
            self.tags = tags
            self.attributes = attributes
            self.importance = importance
            self.agent = agent
            self.session = session
            self.occurredAt = occurredAt
            self.createdAt = createdAt
            self.signals = signals
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var hits: [Hit]
        /// Consolidation's summaries that matched (they never take a hit's place).
        public var summaries: [Hit]?
        /// With `explain`: milliseconds spent in each step of this recall.
        public var timingsMS: [String: Double]?
        /// Signals left out because what they need is down (the http
        /// embedder), each with the reason; absent when all took part.
        public var degraded: [String]?

        enum CodingKeys: String, CodingKey {
            case hits, summaries, degraded
            case timingsMS = "timings_ms"
        }

        public init(hits: [Hit], summaries: [Hit]? = nil, timingsMS: [String: Double]? = nil) {
            self.hits = hits
            self.summaries = summaries
            self.timingsMS = timingsMS
        }
    }
}

/// `memory.get`: one memory, current or at a given version.
public enum MemoryGet: RPCMethod {
    public static let name = "memory.get"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        /// One memory, in any state (`memory` in the result).
        public var id: String?
        /// Several memories at once (`memories` and `not_found` in the result).
        public var ids: [String]?
        /// With `ids`: only those that pass this filter (default state active, as in memory.list).
        public var filter: WireFilter?
        public var version: Int?
        /// Activation and parameter cubes: write the payload to this file (absolute path).
        public var exportTo: String?
        /// Activation and parameter cubes: return the payload as base64 in `data`.
        public var includeData: Bool?
        /// Activation and parameter cubes: write the payload into the file
        /// passed with the request (SCM_RIGHTS) at this position, opened for writing.
        public var exportFD: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case namespace, id, ids, filter, version
            case exportTo = "export_to", includeData = "include_data", exportFD = "export_fd"
        }

        public init(
            namespace: String, id: String? = nil, ids: [String]? = nil, filter: WireFilter? = nil, version: Int? = nil,
            exportTo: String? = nil, includeData: Bool? = nil, exportFD: Int? = nil
        ) {
            self.namespace = namespace
            self.id = id
            self.ids = ids
            self.filter = filter
            self.version = version
            self.exportTo = exportTo
            self.includeData = includeData
            self.exportFD = exportFD
        }
    }

    /// The current memory, or (with `version`) that version's snapshot, or
    /// (with `ids`) the memories found, in the order asked, and the ids not found.
    public struct Result: Codable, Sendable, Hashable {
        public var memory: WireMemory?
        public var version: WireVersion?
        public var memories: [WireMemory]?
        /// With `ids`: those that do not exist in the namespace (or do not pass the filter).
        public var notFound: [String]?
        /// With `include_data`: the payload, base64.
        public var data: String?
        /// With `export_to`: the file written.
        public var exportedTo: String?

        enum CodingKeys: String, CodingKey {
            case memory, version, memories, data
            case notFound = "not_found", exportedTo = "exported_to"
        }

        public init(
            memory: WireMemory? = nil, version: WireVersion? = nil, memories: [WireMemory]? = nil, notFound: [String]? = nil,
            data: String? = nil, exportedTo: String? = nil
        ) {
            self.memory = memory
            self.version = version
            self.memories = memories
            self.notFound = notFound
            self.data = data
            self.exportedTo = exportedTo
        }
    }
}

/// `memory.history`: every version of a memory, oldest first.
public enum MemoryHistory: RPCMethod {
    public static let name = "memory.history"
    public static let access = MethodAccess.read

    public typealias Params = MemoryRef

    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var versions: [WireVersion]

        public init(id: String, versions: [WireVersion]) {
            self.id = id
            self.versions = versions
        }
    }
}

/// `memory.list`: memories of a namespace, newest first, a page at a time.
public enum MemoryList: RPCMethod {
    public static let name = "memory.list"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var filter: WireFilter?
        public var limit: Int?
        public var cursor: String?

        public init(namespace: String, filter: WireFilter? = nil, limit: Int? = nil, cursor: String? = nil) {
            self.namespace = namespace
            self.filter = filter
            self.limit = limit
            self.cursor = cursor
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, filter, limit, cursor }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var memories: [WireMemory]
        public var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case memories
            case nextCursor = "next_cursor"
        }

        public init(memories: [WireMemory], nextCursor: String?) {
            self.memories = memories
            self.nextCursor = nextCursor
        }
    }
}
