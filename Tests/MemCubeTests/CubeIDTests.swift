import Testing
@testable import MemCube

@Suite struct CubeIDTests {
    @Test func generatedIDsAreValidAndSortByTime() {
        let a = CubeID.generate(at: 1_000)
        let b = CubeID.generate(at: 2_000)
        #expect(a.rawValue.count == 26)
        #expect(a < b)
        #expect(CubeID(a.rawValue) == a)
        #expect(CubeID(a.rawValue.lowercased()) == a)
    }

    @Test func idsAreUnique() {
        let ids = (0..<10_000).map { _ in CubeID.generate(at: 5) }
        #expect(Set(ids).count == ids.count)
    }

    @Test(arguments: ["", "short", "01M80CGJ2M0RH27A1HHR8XBA6I", "81M80CGJ2M0RH27A1HHR8XBA69", "01M80CGJ2M0RH27A1HHR8XBA690"])
    func rejectsMalformed(text: String) {
        #expect(CubeID(text) == nil)
    }
}
