import Foundation
import MemCube
#if canImport(Glibc)
import Glibc
#endif

/// Picks OpenBLAS's kernels on CPUs it does not recognise.
///
/// Debian's OpenBLAS 0.3.21 falls back to its generic SSE3 "Prescott"
/// kernels on some newer CPUs, ~6× slower for sgemm (PLATFORM.md), and
/// uses AVX2 kernels on some CPUs that have AVX-512.
/// OpenBLAS reads `OPENBLAS_CORETYPE` only when the library loads, so the
/// daemon re-executes itself with it set; then it checks a small sgemm
/// against a plain loop and, if they disagree, re-executes once more with
/// the generic kernels — once: `MEMOS_BLAS_REEXEC` records which restart a
/// process is (`tuned`, then `generic`), so no chain of restarts can loop.
/// `MEMOS_BLAS_CORE=keep` turns all of this off; any other value of
/// `OPENBLAS_CORETYPE` set by the user is respected.
///
/// Every executable that runs BLAS calls `apply` first (memosd, memos-bench,
/// memos-eval), so that their figures are memosd's.
public enum BLASTuning {
    public enum Action: Equatable, Sendable {
        case keep
        /// Re-execute with `OPENBLAS_CORETYPE` set to this core.
        case reexec(core: String)
    }

    static let marker = "MEMOS_BLAS_REEXEC"
    static let tunedRestart = "tuned", genericRestart = "generic"

    /// Cores that a CPU with AVX-512 may be upgraded from: OpenBLAS 0.3.21
    /// calls some AVX-512 CPUs (AMD Zen 4 among them) Haswell or Zen, and
    /// its SkylakeX kernels were 1.8× faster for the encoder's sgemm there.
    static let upgradable: Set<String> = ["prescott", "nehalem", "sandybridge", "haswell", "zen"]

    /// The decision, as a pure function of what the process sees.
    public static func decide(coreName: String, cpuFlags: Set<String>, environment: [String: String]) -> Action {
        if environment["MEMOS_BLAS_CORE"] == "keep" || environment["OPENBLAS_CORETYPE"] != nil || environment[marker] != nil {
            return .keep
        }
        let core = coreName.lowercased()
        guard upgradable.contains(core) else { return .keep }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return .reexec(core: "SkylakeX") }
        if core == "prescott" || core == "nehalem", cpuFlags.isSuperset(of: ["avx2", "fma"]) { return .reexec(core: "Haswell") }
        return .keep
    }

    /// After a failed self-check: restart on the generic kernels, unless this
    /// process already is that restart (or the user turned tuning off).
    public static func restartOnGenericKernels(environment: [String: String]) -> Bool {
        environment["MEMOS_BLAS_CORE"] != "keep" && environment[marker] != genericRestart
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty when unreadable).
    public static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(text.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                } ?? [])
            }
        }
        return []
    }

    /// A 32×48×40 sgemm against a plain triple loop; true when they agree.
    public static func selfCheck() -> Bool {
        let m = 32, n = 48, k = 40
        var rng = SplitMix64(seed: 12345)
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    BLAS.matrixMultiplyTransposed(a, m: m, b, n: n, k: k, into: c)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += a[i * k + p] * b[j * k + p] }
                if abs(sum - c[i * n + j]) > 1e-3 * max(1, abs(sum)) { return false }
            }
        }
        return true
    }

    /// Applies the decision: may replace this process (execv) and not return.
    /// Returns a sentence for the log saying what was chosen.
    public static func apply(environment: [String: String]) -> String {
        let core = BLAS.coreName
        if !selfCheck() {
            if restartOnGenericKernels(environment: environment) {
                // Wrong results with these kernels: restart once on the generic ones.
                reexec(setting: ["OPENBLAS_CORETYPE": "Prescott", marker: genericRestart])
            }
            return "OpenBLAS core \(core) failed the sgemm self-check even on the generic kernels; results may be wrong"
        }
        switch decide(coreName: core, cpuFlags: cpuFlags(), environment: environment) {
        case .keep:
            return "OpenBLAS core \(core) (sgemm self-check passed)"
        case .reexec(let better):
            reexec(setting: ["OPENBLAS_CORETYPE": better, marker: tunedRestart])
            return "OpenBLAS core \(core); re-executing with \(better) failed, kept \(core)"
        }
    }

    private static func reexec(setting variables: [String: String]) {
        for (key, value) in variables { setenv(key, value, 1) }
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // execv only returns on failure; carry on with the current kernels.
        for pointer in argv { free(pointer) }
    }
}
