import Foundation
import MemCube

/// Seconds on the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
}

/// `runs` timings of `body`, in milliseconds, sorted.
func timings(runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
    var samples: [Double] = []
    for _ in 0..<runs {
        let t0 = now()
        try body()
        samples.append((now() - t0) * 1000)
    }
    return samples.sorted()
}

/// The median of `runs` timings of `body`, in milliseconds.
func median(runs: Int = 200, _ body: () throws -> Void) rethrows -> Double {
    let samples = try timings(runs: runs, body)
    return samples[samples.count / 2]
}

/// `--name value` pairs after the subcommand.
struct Flags {
    var values: [String: String] = [:]

    init(_ args: ArraySlice<String>) {
        var i = args.startIndex
        while i < args.endIndex {
            if args[i].hasPrefix("--"), i + 1 < args.endIndex {
                values[String(args[i].dropFirst(2))] = args[i + 1]
                i += 2
            } else {
                i += 1
            }
        }
    }

    func int(_ name: String, _ fallback: Int) -> Int { values[name].flatMap(Int.init) ?? fallback }
    func string(_ name: String, _ fallback: String) -> String { values[name] ?? fallback }
    func optionalString(_ name: String) -> String? { values[name] }
}
