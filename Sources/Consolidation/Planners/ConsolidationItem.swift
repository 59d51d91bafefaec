import Foundation
import MemCube
import MemJSON
import Retrieval

/// One memory as consolidation's planners see it.
public struct ConsolidationItem: Sendable {
    public var key: Int64
    public var id: CubeID
    /// The scope within the namespace: memories of different agents never merge.
    public var agent: String?
    public var session: String?
    public var text: String
    public var facts: TextFacts
    /// Event time, or record time when the event time is unknown.
    public var time: Timestamp
    public var attributes: [String: JSONValue]

    public init(key: Int64, id: CubeID, agent: String?, session: String?, text: String, time: Timestamp, attributes: [String: JSONValue]) {
        self.key = key
        self.id = id
        self.agent = agent
        self.session = session
        self.text = text
        self.facts = TextFacts(text)
        self.time = time
        self.attributes = attributes
    }
}

/// A neighbour by vector: its key and cosine similarity.
public typealias SimilarItem = (key: Int64, score: Float)

/// Memories that say the same thing: the survivor keeps its id and takes the
/// text of `textFrom` (the one with the most content words, which holds
/// every other member's words); `others` become superseded by it.
public struct DuplicateGroup: Sendable, Hashable {
    public var survivor: Int64
    public var others: [Int64]
    public var textFrom: Int64
    /// True when every member has the same normalized text.
    public var exact: Bool
}

/// Two similar memories that may contradict each other.
public struct PossibleConflict: Sendable, Hashable {
    public var a: Int64
    public var b: Int64
    public var similarity: Float
    public var reason: String
}
