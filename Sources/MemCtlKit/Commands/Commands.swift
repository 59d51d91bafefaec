import Foundation
import MemAPI
import MemCube
import MemJSON

/// Every memctl command, and what several share.
enum Commands {
    static let all: [Command] = [
        add, recall, forget, get, update, history, revert, list, link, neighbors, fuse, compose, status, promote, demote, pin, unpin,
        touch, tick, subscribe, complete, fail, consolidate, namespace, stats, health, reindex, doctor, backup, restore, export, importCommand, ingest, mcp,
    ]

    static func named(_ name: String) -> Command? { all.first { $0.name == name } }

    /// The filters recall and list share (`filter(_:)` reads them).
    static let filterOptions: [Option] = [
        Option("--tag", "TAG", "only memories with this tag (repeat: all of them)"),
        Option("--agent", "NAME", "only this agent's memories"),
        Option("--session", "NAME", "only this session's memories"),
        Option("--speaker", "NAME", "only what this speaker said (conversation turns)"),
        Option("--since", "TIME", "only events at or after TIME (ISO 8601)"),
        Option("--until", "TIME", "only events at or before TIME"),
    ]

    static func filter(_ args: Arguments) throws(UsageError) -> WireFilter? {
        var filter = WireFilter()
        var any = false
        if !args.all("--tag").isEmpty { filter.tags = args.all("--tag"); any = true }
        if let agent = args.value("--agent") { filter.agent = agent; any = true }
        if let session = args.value("--session") { filter.session = session; any = true }
        if let speaker = args.value("--speaker") { filter.speaker = speaker; any = true }
        for (flag, keyPath) in [("--since", \WireFilter.since), ("--until", \WireFilter.until)] {
            guard let t = try time(args.value(flag), flag) else { continue }
            filter[keyPath: keyPath] = t
            any = true
        }
        return any ? filter : nil
    }

    static func attributes(_ pairs: [String]) throws(UsageError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("--attr takes KEY=VALUE (got '\(pair)')")
            }
            let key = String(pair[..<equals]), raw = String(pair[pair.index(after: equals)...])
            result[key] = (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw)
        }
        return result
    }

    /// A flag's ISO 8601 time (nil when the flag is absent).
    static func time(_ text: String?, _ flag: String) throws(UsageError) -> Timestamp? {
        guard let text else { return nil }
        guard let t = Timestamp(iso8601: text) else { throw UsageError("\(flag) must be ISO 8601, e.g. 2024-05-08 or 2024-05-08T13:56:00Z") }
        return t
    }

    static func number(_ text: String, _ flag: String) throws(UsageError) -> Double {
        guard let value = Double(text) else { throw UsageError("\(flag) must be a number (got '\(text)')") }
        return value
    }

    static func integer(_ text: String, _ flag: String) throws(UsageError) -> Int {
        guard let value = Int(text) else { throw UsageError("\(flag) must be an integer (got '\(text)')") }
        return value
    }

    static func printVersion(_ v: WireVersion, verbose: Bool) {
        var who = v.agent.map { " agent=\($0)" } ?? ""
        if let uid = v.peerUID { who += " uid=\(uid)" }
        if let pid = v.peerPID { who += " pid=\(pid)" }
        print("v\(v.version)  \(Output.time(v.at))  \(v.operation.padding(8)) \(v.state.padding(10))\(Output.oneLine(v.text, width: 70))\(Output.tags(v.tags))\(who)")
        if verbose, !v.attributes.isEmpty { print("    attributes \(Output.json(v.attributes))") }
    }

    static func format4(_ x: Double) -> String { fixed(x, places: 4) }

    /// `x` rounded to `places` decimals, padded with zeros (no String(format:) without Foundation).
    static func fixed(_ x: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        var text = String((x * scale).rounded() / scale)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < places { text += String(repeating: "0", count: places - decimals) }
        }
        return text
    }

    static func bytes(_ n: Int64) -> String {
        if n >= 1 << 30 { return "\(n >> 30) GiB" }
        if n >= 1 << 20 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 { return "\(n >> 10) KiB" }
        return "\(n) B"
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
