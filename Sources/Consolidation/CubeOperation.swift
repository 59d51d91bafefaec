import MemCube

/// MemCube's `Operation`, named where Foundation's `Operation` is also in scope.
typealias CubeOperation = Operation
