import Foundation
import MemJSON
import ProtocolFuzz

// memos-fuzz: starts a memosd of its own (temp data directory, hashing
// embedder) and sends it seeded fuzz frames; exits 1 on any crash, hang,
// internal_error, wrong answer or changed store. `make fuzz` runs 50,000.
let usage = """
    usage: memos-fuzz [--frames N] [--seed S] [--memosd PATH] [--fixtures FILE]
      --frames N       frames to send (default 50000)
      --seed S         the generator's seed (default 1); the same seed sends the same frames
      --memosd PATH    the daemon to start (default: memosd beside this program)
      --fixtures FILE  recorded requests to replay and mutate (default schemas/fixtures.json)
    """
var frames = 50_000
var seed: UInt64 = 1
var memosd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("memosd").path
var fixtures = "schemas/fixtures.json"
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    guard flag != "--help", let value = arguments.first else {
        print(usage)
        exit(flag == "--help" ? 0 : 64)
    }
    arguments.removeFirst()
    switch flag {
    case "--frames": frames = Int(value) ?? -1
    case "--seed": seed = UInt64(value) ?? 0
    case "--memosd": memosd = value
    case "--fixtures": fixtures = value
    default:
        FileHandle.standardError.write(Data("memos-fuzz: unknown flag \(flag)\n\(usage)\n".utf8))
        exit(64)
    }
}
guard frames > 0 else {
    FileHandle.standardError.write(Data("memos-fuzz: --frames needs a positive number\n".utf8))
    exit(64)
}

do {
    let daemon = try FuzzDaemon(binary: memosd)
    defer { daemon.stop() }
    let runner = FuzzRunner(socketPath: daemon.socket, databasePath: daemon.databasePath) { daemon.isRunning }
    let requests = try runner.seed(fixtures: try JSONReader.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures)))))
    var generator = FrameGenerator(seed: seed, requests: requests, paths: daemon.sensitivePaths)
    let started = Date()
    runner.run(&generator, frames: frames) { report in
        print("  \(report.frames) frames, \(Int(Date().timeIntervalSince(started))) s: \(report.clean ? "clean" : "PROBLEMS")")
    }
    runner.misbehavingClients(sendTimeout: FuzzDaemon.sendTimeout)
    let report = runner.report
    print("seed \(seed): \(report.summary) in \(Int(Date().timeIntervalSince(started))) s")
    print("frames by kind: " + report.byLabel.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    for problem in report.problems { print(problem) }
    daemon.stop()  // exit() skips defers
    exit(report.clean && report.problems.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("memos-fuzz: \(error)\n".utf8))
    exit(1)
}
