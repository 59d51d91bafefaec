import MemCube

/// What the store refuses to do, in terms of memories rather than SQL.
public enum StoreError: Error, Sendable, Equatable {
    case notFound(CubeID)
    case purged(CubeID)
    case expired(CubeID)
    case versionNotFound(CubeID, version: Int)
    case versionConflict(CubeID, expected: Int, actual: Int)
    case invalidState(CubeID, state: CubeState, operation: String)
    case schemaTooNew(found: Int, supported: Int)
}
