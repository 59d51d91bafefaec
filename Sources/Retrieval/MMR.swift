/// Maximal marginal relevance (Carbonell & Goldstein 1998): picks, one at a
/// time, the item maximizing λ·relevance − (1−λ)·(max cosine to those
/// already picked). Used by recall's diversity and by extractive summaries.
public enum MMR {
    /// The indices of up to `k` items, in the order picked. An item without a
    /// vector counts as unlike every other; ties go to the lower index.
    public static func select(relevance: [Double], vectors: [[Float]?], k: Int, lambda: Double) -> [Int] {
        var chosen: [Int] = []
        var rest = Array(relevance.indices)
        while chosen.count < k, !rest.isEmpty {
            var bestPosition = 0, bestValue = -Double.infinity
            for (position, i) in rest.enumerated() {
                var similarity = 0.0
                if let v = vectors[i] {
                    for picked in chosen {
                        guard let w = vectors[picked], w.count == v.count else { continue }
                        similarity = max(similarity, Double(BLAS.dot(v, w, v.count)))
                    }
                }
                let value = lambda * relevance[i] - (1 - lambda) * similarity
                if value > bestValue {
                    bestValue = value
                    bestPosition = position
                }
            }
            chosen.append(rest.remove(at: bestPosition))
        }
        return chosen
    }
}
