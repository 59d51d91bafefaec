import Foundation
import MemAPI
import MemCube
import Retrieval

/// `memos-bench embed`: MiniLM throughput on 1,000 typical memory texts
/// (10–60 words of real English words from the model's vocabulary) at batch
/// sizes 1, 32 and 256 with 1 and 2 worker threads (BLAS itself on 1 thread each), and the latency of one
/// 20-word query per thread count (interleaved; with 2, the threads share each layer of the pass). `--texts-out FILE` writes the texts (for the
/// sentence-transformers and ONNX Runtime comparisons in scripts/), `--query-out FILE` the query.
/// Flags: --model-dir DIR --texts N (1000) --texts-out FILE --query-out FILE --threads 1,2 --batches 1,32,256 --rows N (rows per forward pass)
func embedBenchmark(_ flags: Flags) throws {
    let directory = flags.string("model-dir", DefaultPaths.modelDirectory(environment: ProcessInfo.processInfo.environment))
    var embedder = try MiniLMEmbedder(directory: directory)
    let texts = benchmarkTexts(count: flags.int("texts", 1000), vocabularyFile: directory + "/vocab.txt")
    if let path = flags.values["texts-out"] {
        try (texts.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    let pieces = texts.map { embedder.tokenizer.pieces($0).count }
    print("memos-bench embed: \(texts.count) texts, \(pieces.min()!)–\(pieces.max()!) word pieces (mean \(pieces.reduce(0, +) / pieces.count)), BLAS core \(BLAS.coreName)")
    let threadCounts = flags.values["threads"].map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1, 2]
    let batchSizes = flags.values["batches"].map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1, 32, 256]
    embedder.maxRowsPerPass = flags.int("rows", embedder.maxRowsPerPass)
    BLAS.setThreads(flags.int("blas-threads", 1))
    for threads in threadCounts {
        embedder.threads = threads
        for batch in batchSizes {
            let t0 = now()
            for start in stride(from: 0, to: texts.count, by: batch) {
                _ = try embedder.embed(Array(texts[start..<min(start + batch, texts.count)]))
            }
            let rate = Double(texts.count) / (now() - t0)
            print(String(format: "threads %d, batch %3d: %7.1f sentences/s", threads, batch, rate))
        }
    }
    var rng = SplitMix64(seed: 99)
    let words = benchmarkWords(vocabularyFile: directory + "/vocab.txt")
    let query = (0..<20).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
    if let path = flags.values["query-out"] {
        try (query + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    // One query per thread count, the counts interleaved run by run (a busy machine slows both alike).
    var latencies = [Int: [Double]]()
    for _ in 0..<50 {
        for threads in threadCounts {
            embedder.threads = threads
            let t0 = now()
            _ = try embedder.embed(query)
            latencies[threads, default: []].append((now() - t0) * 1000)
        }
    }
    for threads in threadCounts {
        let sorted = latencies[threads]!.sorted()
        print(String(format: "one 20-word query (%d pieces), %d thread%@: median %.2f ms", embedder.tokenizer.pieces(query).count,
                     threads, threads == 1 ? "" : "s", percentile(sorted, 0.5)))
    }
    embedder.threads = 1
}

/// Whole English words from the vocabulary (no ## pieces, letters only, 3+ letters).
func benchmarkWords(vocabularyFile: String) -> [String] {
    let vocabulary = (try? String(contentsOfFile: vocabularyFile, encoding: .utf8)) ?? ""
    let lines = vocabulary.split(separator: "\n").map(String.init)
    return Array(lines[2000..<min(lines.count, 12000)]).filter { $0.count >= 3 && $0.allSatisfy(\.isLetter) && $0.allSatisfy(\.isASCII) }
}

func benchmarkTexts(count: Int, vocabularyFile: String) -> [String] {
    let words = benchmarkWords(vocabularyFile: vocabularyFile)
    var rng = SplitMix64(seed: 2024)
    return (0..<count).map { _ in
        let n = Int.random(in: 10...60, using: &rng)
        var text = (0..<n).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        text = text.prefix(1).uppercased() + text.dropFirst() + "."
        return text
    }
}
