import Foundation
import MemCube
import MemJSON
import Retrieval

/// The consolidation job's thresholds (memosd flags; docs/consolidation.md).
public struct ConsolidationSettings: Sendable {
    /// Cosine at or above which two memories making the same claim are merged.
    public var duplicateThreshold: Float = 0.92
    /// Cosine at or above which differing negation, numbers or dates link a possible conflict.
    public var conflictThreshold: Float = 0.8
    /// Cosine at or above which memories without a session cluster for a summary.
    public var clusterThreshold: Float = 0.75
    /// A session or cluster gets a summary from this many memories on.
    public var summaryMinMembers = 8
    /// A vector cluster is cut at this many memories.
    public var summaryMaxMembers = 50
    /// Nearest neighbours looked up per memory.
    public var neighbours = 10
    /// Abstractive summaries through a chat endpoint; nil: extractive only.
    public var chat: ChatSummarizer?
    /// Tokens one run may spend on the chat endpoint; past it, summaries are extractive.
    public var chatTokenBudget = 50_000

    public init() {}

    public var finder: DuplicateFinder {
        DuplicateFinder(nearThreshold: duplicateThreshold, conflictThreshold: conflictThreshold)
    }
}
