import Foundation
import Synchronization
import Testing
@testable import Retrieval
import MemTestSupport

@Suite struct BLASTuningTests {
    @Test func choosesBetterKernelsOnlyForTheGenericCore() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: [:]) == .reexec(core: "SkylakeX"))
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: ["avx2", "fma"], environment: [:]) == .reexec(core: "Haswell"))
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: ["sse3"], environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Haswell", cpuFlags: avx512, environment: [:]) == .reexec(core: "SkylakeX"))
        #expect(BLASTuning.decide(coreName: "Haswell", cpuFlags: ["avx2", "fma"], environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "SkylakeX", cpuFlags: avx512, environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Cooperlake", cpuFlags: avx512, environment: [:]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Zen"]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["MEMOS_BLAS_CORE": "keep"]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["MEMOS_BLAS_REEXEC": "tuned"]) == .keep)
        #expect(BLASTuning.decide(coreName: "Prescott", cpuFlags: avx512, environment: ["MEMOS_BLAS_REEXEC": "generic"]) == .keep)
    }

    /// A failed self-check restarts on the generic kernels once: not again
    /// from that restart, whoever set OPENBLAS_CORETYPE (the loop it replaced).
    @Test func theGenericFallbackHappensAtMostOnce() {
        #expect(BLASTuning.restartOnGenericKernels(environment: [:]))
        #expect(BLASTuning.restartOnGenericKernels(environment: ["OPENBLAS_CORETYPE": "Zen"]))
        #expect(BLASTuning.restartOnGenericKernels(environment: ["OPENBLAS_CORETYPE": "Haswell", "MEMOS_BLAS_REEXEC": "tuned"]))
        #expect(!BLASTuning.restartOnGenericKernels(environment: ["OPENBLAS_CORETYPE": "Prescott", "MEMOS_BLAS_REEXEC": "generic"]))
        #expect(!BLASTuning.restartOnGenericKernels(environment: ["MEMOS_BLAS_CORE": "keep"]))
    }

    @Test func theLoadedKernelsComputeCorrectly() {
        #expect(BLASTuning.selfCheck())
        #expect(!BLASTuning.cpuFlags().isEmpty)
    }
}
