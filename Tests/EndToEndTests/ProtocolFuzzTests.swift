import Foundation
import MemJSON
import MemTestSupport
import ProtocolFuzz
import Testing

/// The protocol fuzzer's short form (the long one is `make fuzz`): seeded
/// frames against the built memosd, then the misbehaving clients.
@Suite(.serialized) struct ProtocolFuzzTests {
    @Test(arguments: [UInt64(7), 8])
    func fuzzedFramesGetDocumentedAnswersAndChangeNothing(seed: UInt64) throws {
        let daemon = try FuzzDaemon(binary: binDirectory + "/memosd")
        defer { daemon.stop() }
        let runner = FuzzRunner(socketPath: daemon.socket, databasePath: daemon.databasePath) { daemon.isRunning }
        let fixtures = try JSONReader.parse([UInt8](try Fixtures.data(atRelativePath: "schemas/fixtures.json")))
        let requests = try runner.seed(fixtures: fixtures)
        #expect(requests.count > 30)
        var generator = FrameGenerator(seed: seed, requests: requests, paths: daemon.sensitivePaths)
        runner.run(&generator, frames: 1500)
        let report = runner.report
        #expect(report.frames == 1500)
        #expect(report.clean, "\(report.summary)\n\(report.problems.joined(separator: "\n"))")
        // The frames reach deep: most are refused for their params, and some succeed.
        #expect(report.byReply["invalid_params", default: 0] > 500)
        #expect(report.byReply["parse_error", default: 0] > 50)
        #expect(report.byReply["result", default: 0] > 20)
    }

    @Test func halfLinesSlowClientsAndNonReadersDoNotStopTheServer() throws {
        let daemon = try FuzzDaemon(binary: binDirectory + "/memosd")
        defer { daemon.stop() }
        let runner = FuzzRunner(socketPath: daemon.socket, databasePath: daemon.databasePath) { daemon.isRunning }
        _ = try runner.seed(fixtures: try JSONReader.parse([UInt8](try Fixtures.data(atRelativePath: "schemas/fixtures.json"))))
        runner.misbehavingClients(sendTimeout: FuzzDaemon.sendTimeout)
        #expect(runner.report.clean && runner.report.problems.isEmpty, "\(runner.report.problems.joined(separator: "\n"))")
    }
}
