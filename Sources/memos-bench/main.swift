import Foundation
import Retrieval

/// memos-bench: the project's benchmarks (release builds only; figures go
/// to docs/benchmarks.md). Deterministic inputs.
///   memos-bench store [flags]   ingest and recall over the socket
///   memos-bench embed [flags]   MiniLM sentences per second and latency
///   memos-bench hnsw [flags]    HNSW build rate, search latency and recall (generated, or fvecs files)
///   memos-bench ann-data [flags] seeded clustered vectors + exact truth as fvecs/ivecs files
///   memos-bench keyword [flags] the in-memory BM25 index: build rate, search latency
///   memos-bench scheduler [flags]   skewed use, the tier tick, working tier RAM vs budget
///   memos-bench consolidate [flags] a consolidation run at scale, recall latency during it
///   memos-bench filter [flags]  filtered search by selectivity; list, count and forget by filter
// First, as memosd does: the same OpenBLAS kernels, so the figures are memosd's (may re-execute).
FileHandle.standardError.write(Data("memos-bench: \(BLASTuning.apply(environment: ProcessInfo.processInfo.environment))\n".utf8))
let arguments = CommandLine.arguments.dropFirst()
let command = arguments.first ?? "store"
let flags = Flags(arguments.dropFirst())
do {
    switch command {
    case "store": try storeBenchmark(flags)
    case "embed": try embedBenchmark(flags)
    case "hnsw": try hnswBenchmark(flags)
    case "ann-data": try annDataCommand(flags)
    case "keyword": keywordBenchmark(flags)
    case "scheduler": try schedulerBenchmark(flags)
    case "consolidate": try consolidateBenchmark(flags)
    case "filter": try filterBenchmark(flags)
    default:
        print("usage: memos-bench store|embed|hnsw|ann-data|keyword|scheduler|consolidate|filter [--flag value]...")
        exit(64)
    }
} catch {
    print("memos-bench: \(error)")
    exit(1)
}
