import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore
@testable import Retrieval

@Suite struct FusionTests {
    @Test func weightedReciprocalRankFusion() {
        let fusion = RankFusion(method: .reciprocalRank, k: 60, weights: [.vector: 1, .keyword: 2])
        let fused = fusion.fuse([.vector: [(1, 0.9), (2, 0.8)], .keyword: [(2, 5.0), (3, 4.0)]])
        #expect(fused.map(\.key) == [2, 3, 1])
        #expect(abs(fused[0].score - (1.0 / 62 + 2.0 / 61)) < 1e-12)
        #expect(fused[0].signals[.keyword]?.rank == 1)
        #expect(fused[0].signals[.vector]?.rank == 2)
    }

    @Test func topKKeepsTheBest() {
        var top = TopK<Int>(k: 3)
        for (i, s) in [5, 1, 9, 3, 7, 2].enumerated() { top.offer(Float(s), i) }
        #expect(top.sorted().map(\.item) == [2, 4, 0])
    }
}

@Suite struct RelativeScoreFusionTests {
    @Test func scalesEachSignalToItsOwnRange() {
        var fusion = RankFusion(method: .relativeScore, weights: [.vector: 0.5, .keyword: 1])
        fusion.minScaledCandidates = 2
        let fused = fusion.fuse([.vector: [(1, 0.9), (2, 0.5)], .keyword: [(2, 12.0), (3, 4.0), (4, 2.0)]])
        // key 2: 0.5·0 (vector's lowest) + 1·1 (keyword's highest); key 1: 0.5·1; key 3: 0.2; key 4: 0.
        #expect(fused.map(\.key) == [2, 1, 3, 4])
        #expect(abs(fused[0].score - 1.0) < 1e-12)
        #expect(abs(fused[1].score - 0.5) < 1e-12)
        #expect(abs(fused[2].score - 0.2) < 1e-12)
    }

    @Test func aLoneWeakHitIsMeasuredAgainstTheCeiling() {
        let fusion = RankFusion(method: .relativeScore, weights: [.vector: 0.5, .keyword: 1])
        // One keyword hit scoring a tenth of what a memory with every query term would.
        let fused = fusion.fuse([.keyword: [(7, 0.4)]], ceilings: [.keyword: 4.0])
        #expect(abs(fused[0].score - 0.1) < 1e-12)
        // Without a ceiling (or above it) the best of few is still the yardstick.
        #expect(abs(fusion.fuse([.keyword: [(7, 0.4)]])[0].score - 1.0) < 1e-12)
        #expect(abs(fusion.fuse([.keyword: [(7, 5.0)]], ceilings: [.keyword: 4.0])[0].score - 1.0) < 1e-12)
        // Many candidates: min-max as before, whatever the ceiling.
        let many = (1...10).map { (key: Int64($0), score: Double($0) / 10) }
        #expect(abs(fusion.fuse([.vector: many], ceilings: [.vector: 1])[0].score - 0.5) < 1e-12)
    }
}
