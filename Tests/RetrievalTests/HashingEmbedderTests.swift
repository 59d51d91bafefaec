import Foundation
import Testing
import MemTestSupport
@testable import MemCube
@testable import MemStore
@testable import Retrieval

@Suite struct HashingEmbedderTests {
    let embedder = HashingEmbedder()

    @Test func isDeterministicAndUnitLength() {
        let a = embedder.embed(["Caroline went to the LGBTQ support group"])[0]
        let b = HashingEmbedder().embed(["Caroline went to the LGBTQ support group"])[0]
        #expect(a == b)
        #expect(a.count == 384)
        #expect(abs(a.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        #expect(embedder.embed([""])[0].allSatisfy { $0 == 0 })
    }

    @Test func relatedTextsScoreHigherThanUnrelated() {
        let v = embedder.embed(["I adopted a dog named Rex", "my dog Rex loves walks", "quarterly tax filing deadline"])
        func cosine(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.2)
    }
}
