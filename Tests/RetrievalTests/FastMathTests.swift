import Foundation
import Testing
@testable import Retrieval

@Suite struct FastMathTests {
    @Test func erfMatchesLibm() {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            worst = max(worst, abs(FastMath.erf(x) - erff(x)))
            x += 0.0007
        }
        #expect(worst < 1e-6, "max |erf error| \(worst)")
    }
}
