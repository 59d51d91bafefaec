/// Turns texts into fixed-size, L2-normalized vectors.
///
/// `id` names the model and its settings; every stored vector records it, so
/// a namespace never mixes vectors of two embedders in one search.
/// Implementations may block (a model runs on the caller's thread): call
/// them from a client's thread, never from Swift's cooperative pool.
public protocol Embedder: Sendable {
    var id: String { get }
    var dimension: Int { get }
    func embed(_ texts: [String]) throws -> [[Float]]
}

extension Embedder {
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }
}

/// Scales `vector` to unit length in place; a zero vector stays zero.
public func normalize(_ vector: inout [Float]) {
    var sum: Float = 0
    for x in vector { sum += x * x }
    guard sum > 0 else { return }
    let scale = 1 / sum.squareRoot()
    for i in vector.indices { vector[i] *= scale }
}
