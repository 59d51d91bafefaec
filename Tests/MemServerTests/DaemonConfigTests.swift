import Foundation
import Testing
import MemScheduler
import MemTestSupport
@testable import MemServer

@Suite struct DaemonConfigTests {
    func config(_ arguments: [String], _ environment: [String: String]) throws -> DaemonConfig {
        guard case .run(let config) = try DaemonConfig.parse(arguments, environment: environment) else {
            throw DaemonError.usage("not a run")
        }
        return config
    }

    @Test func defaultsFollowXDG() throws {
        let withRuntime = try config([], ["HOME": "/home/a", "XDG_RUNTIME_DIR": "/run/user/1"])
        #expect(withRuntime.dataDir == "/home/a/.local/share/memos")
        #expect(withRuntime.socketPath == "/run/user/1/memos/memosd.sock")
        #expect(withRuntime.embedder == .minilm)
        #expect(withRuntime.modelDir == "/home/a/.cache/memos/models/all-MiniLM-L6-v2")
        let without = try config(["--data-dir", "/srv/m"], ["HOME": "/home/a"])
        #expect(without.socketPath == "/srv/m/memosd.sock")
        let flags = try config(["--socket", "/tmp/s.sock", "--embedder", "hashing", "--hnsw-threshold", "500", "--synchronous", "normal"], [:])
        #expect(flags.socketPath == "/tmp/s.sock" && flags.embedder == .hashing && flags.hnswThreshold == 500 && flags.durability == .normal)
        let weights = try config(["--weights", "keyword=2,graph=0", "--fusion", "rrf"], [:])
        #expect(weights.fusion.weights == [.vector: 0.5, .keyword: 2, .graph: 0])
        #expect(weights.fusion.method == .reciprocalRank)
        #expect(try config([], [:]).cubeCacheMB == 64)
        #expect(try config(["--cube-cache-mb", "0"], [:]).cubeCacheMB == 0)
        let scheduler = try config(["--working-max", "50", "--working-max-mb", "8", "--heat-half-life-days", "0.5", "--archive-after-days", "90"], [:])
        #expect(scheduler.planner.working == Budget(count: 50, bytes: 8 << 20))
        #expect(scheduler.planner.heat.halfLifeSeconds == 43_200 && scheduler.planner.archiveAfterSeconds == 90 * 86_400)
        #expect(try config([], [:]).consolidateAt! == (3, 0))
        #expect(try config(["--consolidate-at", "23:45"], [:]).consolidateAt! == (23, 45))
        #expect(try config(["--consolidate-at", "off"], [:]).consolidateAt == nil)
    }

    @Test(arguments: [
        (["--bogus"], "unknown option"), (["--embedder", "gpt"], "minilm, hashing or http"),
        (["--embedder", "http"], "--embed-url"), (["--max-batch", "0"], "positive integer"), (["--socket"], "needs a value"), (["--weights", "magic=1"], "signal=weight"),
        (["--cube-cache-mb", "-1"], "0 or more"), (["--heat-half-life-days", "0"], "positive number"),
        (["--consolidate-at", "25:00"], "HH:MM"), (["--consolidate-at", "3am"], "HH:MM"),
    ])
    func usageErrorsSayWhatIsWrong(arguments: [String], message: String) {
        do {
            _ = try DaemonConfig.parse(arguments, environment: [:])
            Issue.record("accepted \(arguments)")
        } catch let error as DaemonError {
            #expect(error.description.contains(message), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

@Suite struct DailyTickerTests {
    @Test func nextRunIsTheComingLocalTime() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Berlin"))
        func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
        // 02:00 Berlin (UTC+1 in November) → 03:00 the same night.
        #expect(Ticker.next(after: date("2026-11-22T01:00:00Z"), hour: 3, minute: 0, calendar: calendar) == date("2026-11-22T02:00:00Z"))
        // Just past it → the next night.
        #expect(Ticker.next(after: date("2026-11-22T02:00:01Z"), hour: 3, minute: 0, calendar: calendar) == date("2026-11-23T02:00:00Z"))
    }
}

/// memosd's flags are declared once (DaemonFlags): README's flag table and
/// `memosd --help` must name exactly those.
@Suite struct DaemonFlagTableTests {
    @Test func readmesFlagTableNamesEveryFlag() throws {
        let readme = String(decoding: try Fixtures.data(atRelativePath: "README.md"), as: UTF8.self)
        var documented = Set<String>()
        for line in readme.split(separator: "\n") where line.hasPrefix("| `--") {
            let cell = line.split(separator: "|").first.map(String.init) ?? ""
            var rest = Substring(cell)
            while let start = rest.range(of: "`--") {
                let name = rest[rest.index(after: start.lowerBound)...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
                documented.insert(String(name))
                rest = rest[start.upperBound...]
            }
        }
        let declared = Set(DaemonFlags.all.map(\.name))
        #expect(documented == declared, "README only: \(documented.subtracting(declared).sorted()); table only: \(declared.subtracting(documented).sorted())")
    }

    @Test func helpListsEveryFlagOnce() {
        let usage = DaemonConfig.usage
        for flag in DaemonFlags.all {
            #expect(usage.contains("  " + flag.name), "\(flag.name) missing from --help")
        }
        #expect(Set(DaemonFlags.all.map(\.name)).count == DaemonFlags.all.count)
        for line in usage.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
    }
}
