#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A 6-layer BERT encoder (all-MiniLM-L6-v2 shape: hidden 384, 12 heads,
/// intermediate 1536, erf GELU, LayerNorm eps 1e-12) running on OpenBLAS,
/// with mean pooling over the tokens and L2 normalization.
///
/// Immutable weights; `embed` allocates its own work buffers, so any number
/// of threads may call it at once. It blocks: call it from a client's thread.
public final class MiniLMModel: Sendable {
    public struct Shape: Sendable, Hashable {
        public var vocabulary = 30522
        public var hidden = 384
        public var heads = 12
        public var intermediate = 1536
        public var layers = 6
        public var maxPositions = 512
        public var layerNormEpsilon: Float = 1e-12
        public init() {}
        var headSize: Int { hidden / heads }
    }

    /// The linear weights are stored transposed, [inputs, outputs] row-major
    /// (the file has [outputs, inputs]): sgemm then reads B without a
    /// transpose, which packs faster for the few rows of a query (a 20-token
    /// pass's linear layers ~1.2× faster than on the file's layout).
    struct Layer: Sendable {
        /// Query, key and value projections side by side: [hidden, 3·hidden].
        var qkvWeight: [Float], qkvBias: [Float]
        var outputWeight: [Float], outputBias: [Float]
        var norm1Gain: [Float], norm1Bias: [Float]
        var upWeight: [Float], upBias: [Float]
        var downWeight: [Float], downBias: [Float]
        var norm2Gain: [Float], norm2Bias: [Float]
    }

    public let shape: Shape
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbedding: [Float]
    let embeddingNormGain: [Float]
    let embeddingNormBias: [Float]
    let layers: [Layer]

    /// Loads the weights (HuggingFace BertModel tensor names) and checks every shape.
    public init(weights file: SafeTensorsFile, shape: Shape = Shape()) throws {
        self.shape = shape
        let h = shape.hidden, i = shape.intermediate
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [shape.vocabulary, h])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [shape.maxPositions, h])
        tokenTypeEmbedding = Array(try file.floats("embeddings.token_type_embeddings.weight", shape: [2, h]).prefix(h))
        embeddingNormGain = try file.floats("embeddings.LayerNorm.weight", shape: [h])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [h])
        layers = try (0..<shape.layers).map { n in
            let p = "encoder.layer.\(n)."
            func w(_ name: String, _ dims: [Int]) throws -> [Float] { try file.floats(p + name, shape: dims) }
            /// [outputs, inputs] from the file → [inputs, outputs].
            func transposed(_ name: String, _ dims: [Int]) throws -> [Float] {
                Self.transpose(try w(name, dims), rows: dims[0], columns: dims[1])
            }
            return Layer(
                qkvWeight: Self.transpose(
                    try w("attention.self.query.weight", [h, h]) + w("attention.self.key.weight", [h, h])
                        + w("attention.self.value.weight", [h, h]), rows: 3 * h, columns: h),
                qkvBias: try w("attention.self.query.bias", [h]) + w("attention.self.key.bias", [h])
                    + w("attention.self.value.bias", [h]),
                outputWeight: try transposed("attention.output.dense.weight", [h, h]),
                outputBias: try w("attention.output.dense.bias", [h]),
                norm1Gain: try w("attention.output.LayerNorm.weight", [h]),
                norm1Bias: try w("attention.output.LayerNorm.bias", [h]),
                upWeight: try transposed("intermediate.dense.weight", [i, h]),
                upBias: try w("intermediate.dense.bias", [i]),
                downWeight: try transposed("output.dense.weight", [h, i]),
                downBias: try w("output.dense.bias", [h]),
                norm2Gain: try w("output.LayerNorm.weight", [h]),
                norm2Bias: try w("output.LayerNorm.bias", [h]))
        }
    }

    /// A row-major `rows`×`columns` matrix as `columns`×`rows`.
    static func transpose(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: matrix.count)
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = matrix[r * columns + c] }
        }
        return out
    }

    /// Sentence vectors for token sequences (each with [CLS]/[SEP], at most
    /// `maxPositions` long), computed as one padded batch. With `threads` > 1
    /// the pass itself is shared: each linear layer's output columns and the
    /// attention heads are split between that many threads (BLAS on one
    /// thread each), so one short query uses several cores.
    public func embed(_ sequences: [[Int32]], threads: Int = 1) -> [[Float]] {
        let threads = max(1, min(threads, 8))
        guard !sequences.isEmpty else { return [] }
        let h = shape.hidden
        let lengths = sequences.map(\.count)
        let L = lengths.max() ?? 0
        let B = sequences.count
        precondition(L <= shape.maxPositions, "sequence longer than \(shape.maxPositions) tokens")
        let rows = B * L

        // Embeddings: word + position + token type 0, then LayerNorm.
        var x = [Float](repeating: 0, count: rows * h)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() {
                let token = Int(id) < shape.vocabulary && id >= 0 ? Int(id) : 0
                let row = (b * L + t) * h
                for j in 0..<h {
                    x[row + j] = wordEmbeddings[token * h + j] + positionEmbeddings[t * h + j] + tokenTypeEmbedding[j]
                }
            }
        }
        layerNorm(&x, rows: rows, gain: embeddingNormGain, bias: embeddingNormBias)

        var qkv = [Float](repeating: 0, count: rows * 3 * h)
        var context = [Float](repeating: 0, count: rows * h)
        var projected = [Float](repeating: 0, count: rows * h)
        var up = [Float](repeating: 0, count: rows * shape.intermediate)
        var scores = [Float](repeating: 0, count: L * L)
        for layer in layers {
            linear(x, rows: rows, inputs: h, weight: layer.qkvWeight, bias: layer.qkvBias, outputs: 3 * h, into: &qkv, threads: threads)
            attention(qkv, lengths: lengths, paddedLength: L, scores: &scores, into: &context, threads: threads)
            linear(context, rows: rows, inputs: h, weight: layer.outputWeight, bias: layer.outputBias, outputs: h, into: &projected, threads: threads)
            addInPlace(&x, projected)
            layerNorm(&x, rows: rows, gain: layer.norm1Gain, bias: layer.norm1Bias)
            linear(x, rows: rows, inputs: h, weight: layer.upWeight, bias: layer.upBias, outputs: shape.intermediate, into: &up, threads: threads)
            up.withUnsafeMutableBufferPointer { FastMath.gelu($0) }
            linear(up, rows: rows, inputs: shape.intermediate, weight: layer.downWeight, bias: layer.downBias, outputs: h, into: &projected, threads: threads)
            addInPlace(&x, projected)
            layerNorm(&x, rows: rows, gain: layer.norm2Gain, bias: layer.norm2Bias)
        }

        // Mean pooling over each sequence's real tokens, then unit length.
        return (0..<B).map { b in
            var pooled = [Float](repeating: 0, count: h)
            for t in 0..<lengths[b] {
                let row = (b * L + t) * h
                for j in 0..<h { pooled[j] += x[row + j] }
            }
            let scale = 1 / Float(max(1, lengths[b]))
            for j in 0..<h { pooled[j] *= scale }
            normalize(&pooled)
            return pooled
        }
    }

    private func addInPlace(_ x: inout [Float], _ y: [Float]) {
        x.withUnsafeMutableBufferPointer { a in y.withUnsafeBufferPointer { b in FastMath.add(a, b) } }
    }

    /// out = input · weight + bias (weight [inputs, outputs]), for `rows` rows; the output columns in
    /// `threads` blocks (multiples of 16), one sgemm each.
    private func linear(
        _ input: [Float], rows: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int, into out: inout [Float],
        threads: Int = 1
    ) {
        out.withUnsafeMutableBufferPointer { c in
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows {
                    (c.baseAddress! + r * outputs).update(from: b.baseAddress!, count: outputs)
                }
            }
        }
        input.withUnsafeBufferPointer { a in
            weight.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { c in
                    let block = (outputs / threads + 15) / 16 * 16
                    let a = Unchecked(a.baseAddress!), w = Unchecked(w.baseAddress!), c = Unchecked(c.baseAddress!)
                    Self.split(threads, count: (outputs + block - 1) / block) { part in
                        let first = part * block, n = min(block, outputs - part * block)
                        BLAS.gemm(
                            m: rows, n: n, k: inputs, a: a.value, lda: inputs, b: w.value + first, ldb: outputs,
                            transposeB: false, beta: 1, c: c.value + first, ldc: outputs)
                    }
                }
            }
        }
    }

    /// Runs `body(0..<count)`, on `threads` threads when that is more than one.
    static func split(_ threads: Int, count: Int, _ body: @Sendable (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for part in 0..<count { body(part) }
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }

    /// Scaled dot-product attention per sequence and head, over the real
    /// tokens only (padding never enters a softmax), written into `context`.
    ///
    /// With `threads` > 1 the heads are shared out, each thread with its own
    /// scores (`scores` holds `threads` blocks of L·L); heads write disjoint
    /// columns of `context`.
    private func attention(
        _ qkv: [Float], lengths: [Int], paddedLength L: Int, scores: inout [Float], into context: inout [Float], threads: Int = 1
    ) {
        let h = shape.hidden, d = shape.headSize, stride = 3 * h, heads = shape.heads
        let scale = 1 / Float(d).squareRoot()
        let workers = max(1, min(threads, heads))
        if scores.count < workers * L * L { scores = [Float](repeating: 0, count: workers * L * L) }
        qkv.withUnsafeBufferPointer { qkvBuffer in
            context.withUnsafeMutableBufferPointer { contextBuffer in
                scores.withUnsafeMutableBufferPointer { allScores in
                    let qkv = Unchecked(qkvBuffer.baseAddress!), context = Unchecked(contextBuffer.baseAddress!)
                    let scoreBase = Unchecked(allScores.baseAddress!)
                    Self.split(workers, count: workers) { worker in
                    let base = qkv.value
                    let s = UnsafeMutableBufferPointer(start: scoreBase.value + worker * L * L, count: L * L)
                    for (b, n) in lengths.enumerated() where n > 0 {
                        for head in 0..<heads where head % workers == worker {
                            let q = base + (b * L) * stride + head * d
                            let k = q + h
                            let v = q + 2 * h
                            BLAS.gemm(m: n, n: n, k: d, alpha: scale, a: q, lda: stride, b: k, ldb: stride, transposeB: true,
                                      c: s.baseAddress!, ldc: n)
                            for i in 0..<n {
                                let row = s.baseAddress! + i * n
                                var maxValue = -Float.infinity
                                for j in 0..<n { maxValue = max(maxValue, row[j]) }
                                var sum: Float = 0
                                for j in 0..<n {
                                    row[j] = expf(row[j] - maxValue)
                                    sum += row[j]
                                }
                                let inverse = 1 / sum
                                for j in 0..<n { row[j] *= inverse }
                            }
                            let out = context.value + (b * L) * h + head * d
                            BLAS.gemm(m: n, n: d, k: n, a: s.baseAddress!, lda: n, b: v, ldb: stride, transposeB: false,
                                      c: out, ldc: h)
                        }
                    }
                    }
                }
            }
        }
    }

    private func layerNorm(_ x: inout [Float], rows: Int, gain gainArray: [Float], bias biasArray: [Float]) {
        let h = shape.hidden
        let epsilon = shape.layerNormEpsilon
        gainArray.withUnsafeBufferPointer { gain in biasArray.withUnsafeBufferPointer { bias in
        x.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<rows {
                let row = buffer.baseAddress! + r * h
                var mean: Float = 0
                for j in 0..<h { mean += row[j] }
                mean /= Float(h)
                var variance: Float = 0
                for j in 0..<h {
                    let centered = row[j] - mean
                    variance += centered * centered
                }
                variance /= Float(h)
                let inverse = 1 / (variance + epsilon).squareRoot()
                for j in 0..<h { row[j] = (row[j] - mean) * inverse * gain[j] + bias[j] }
            }
        }
        } }
    }
}

/// A raw pointer handed to the threads of one split: they read what it
/// points to or write disjoint parts of it, and the split returns before the
/// buffer it points into goes away.
private struct Unchecked<Pointer>: @unchecked Sendable {
    let value: Pointer
    init(_ value: Pointer) { self.value = value }
}
