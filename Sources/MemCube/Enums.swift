/// The three forms of memory (MemOS): text, activation snapshots
/// (KV-cache / hidden states) and parameter deltas (e.g. LoRA adapters).
public enum Kind: String, Codable, Sendable, CaseIterable {
    case plaintext, activation, parameter
}

/// Where the scheduler keeps a cube: hot in RAM, indexed on disk, or cold.
public enum Tier: String, Codable, Sendable, CaseIterable {
    case working, active, archive
}

/// The life cycle of a cube. Purged cubes have no state: their rows are gone.
public enum CubeState: String, Codable, Sendable, CaseIterable {
    case active, superseded, forgotten
}

/// What a version row records as the change that produced it.
public enum Operation: String, Codable, Sendable {
    case add, update, forget, purge, merge, summarize, `import`, promote, demote, expire, link
    /// A version that restores an earlier one (`memory.revert`).
    case revert
    /// A namespace shared with another user, or a share taken back (`namespace.share`, `namespace.unshare`).
    case share, unshare
    /// Changes made by a consolidation run's steps, and by undoing a run.
    case consolidateExpire = "consolidate:expire"
    case consolidateMerge = "consolidate:merge"
    case consolidateSupersede = "consolidate:supersede"
    case consolidateSummarize = "consolidate:summarize"
    case consolidateUndo = "consolidate:undo"
}

/// What a namespace's owner lets another user do in it.
public enum ShareAccess: String, Codable, Sendable, CaseIterable {
    case read
    case readWrite = "read-write"
}
