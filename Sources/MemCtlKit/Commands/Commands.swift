import Foundation
import MemAPI
import MemCube
import MemJSON
import MemStore

/// Every memctl command, and what several share.
enum Commands {
    static let all: [Command] = [
        add, recall, forget, get, update, history, revert, list, link, neighbors, fuse, compose, status, promote, demote, pin, unpin,
        touch, tick, subscribe, complete, fail, consolidate, namespace, stats, health, reindex, doctor, backup, restore, export, importCommand, ingest, mcp,
    ]

    static func named(_ name: String) -> Command? { all.first { $0.name == name } }

    /// The filters recall, list and forget share (`filter(_:)` reads them).
    static let filterOptions: [Option] = [
        Option("--tag", "TAG", "only memories with this tag (repeat: all of them)"),
        Option("--agent", "NAME", "only this agent's memories"),
        Option("--session", "NAME", "only this session's memories"),
        Option("--speaker", "NAME", "only what this speaker said (conversation turns)"),
        Option("--since", "TIME", "only events at or after TIME (ISO 8601)"),
        Option("--until", "TIME", "only events at or before TIME"),
        Option("--where", "COND", "FIELD OP VALUE with = != > >= < <= ~ (contains), e.g. 'importance>=0.7' (repeat: all of them)"),
        Option("--attr", "KEY=VALUE", "only memories whose attribute KEY equals VALUE (repeat: all of them)"),
        Option("--filter", "JSON", "any filter in the filter language (docs/filters.md), ANDed with the flags above"),
    ]

    /// Which versions list and forget-by-filter read.
    static let stateOption = Option("--state", "STATE", "active (default), superseded, forgotten or any")

    /// The filter flags as one filter object: the shorthand keys at the top,
    /// `--where`, `--attr` and `--filter` conditions ANDed beside them.
    static func filter(_ args: Arguments, extra: [String: JSONValue] = [:]) throws(UsageError) -> WireFilter? {
        var object = extra
        var conditions: [JSONValue] = []
        if !args.all("--tag").isEmpty { object["tags"] = .array(args.all("--tag").map(JSONValue.string)) }
        for key in ["agent", "session", "speaker"] {
            if let value = args.value("--\(key)") { object[key] = .string(value) }
        }
        for key in ["since", "until"] {
            if let t = try time(args.value("--\(key)"), "--\(key)") { object[key] = .string(t.iso8601) }
        }
        for condition in args.all("--where") { conditions.append(try whereCondition(condition)) }
        for (key, value) in try attributes(args.all("--attr")).sorted(by: { $0.key < $1.key }) {
            conditions.append(.object(["attributes": .object([key: value])]))
        }
        if let text = args.value("--filter") {
            guard let json = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw UsageError("--filter takes a JSON object, e.g. '{\"importance\": {\"gte\": 0.7}}' (docs/filters.md)")
            }
            if case .object(let keys) = json, keys.keys.allSatisfy({ object[$0] == nil && $0 != "and" }) {
                // Its keys beside the flags' (so top-only keys like state keep their place).
                object.merge(keys) { a, _ in a }
            } else {
                conditions.append(json)
            }
        }
        if !conditions.isEmpty { object["and"] = .array(conditions) }
        return object.isEmpty ? nil : WireFilter(json: .object(object))
    }

    /// The operators `--where` understands, longest first so `>=` is not read as `>`.
    static let whereOperators: [(symbol: String, name: String)] = [
        ("!=", "ne"), (">=", "gte"), ("<=", "lte"), ("=", "eq"), (">", "gt"), ("<", "lt"), ("~", "contains"),
    ]

    /// `FIELD OP VALUE` as a filter object; VALUE is read as JSON when it parses
    /// (numbers, true/false, "quoted", [lists] with = and != meaning in/nin), else as text.
    static func whereCondition(_ text: String) throws(UsageError) -> JSONValue {
        var found: (range: Range<String.Index>, name: String)?
        for (symbol, name) in whereOperators {
            guard let range = text.range(of: symbol) else { continue }
            if found == nil || range.lowerBound < found!.range.lowerBound { found = (range, name) }
        }
        guard let (range, name) = found else {
            throw UsageError("--where takes FIELD OP VALUE with one of = != > >= < <= ~ (got '\(text)'), e.g. --where 'importance>=0.7'")
        }
        let field = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let raw = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !field.isEmpty else { throw UsageError("--where '\(text)' names no field before \(text[range])") }
        var value = (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? .string(raw)
        if let named = FilterField.named[field], holdsText(named) {
            // agent=123, occurred_at>2024: a text or time field takes the text as written.
            switch value {
            case .string, .array: break
            default: value = .string(raw)
            }
        }
        var op = name
        if case .array = value {
            switch name {
            case "eq": op = "in"
            case "ne": op = "nin"
            default: value = .string(raw)
            }
        }
        return .object([field: .object([op: value])])
    }

    /// Fields whose values are text (names, tags, choices, ISO times), not JSON.
    private static func holdsText(_ field: FilterField) -> Bool {
        switch field.valueType {
        case .list, .text, .choice, .time: true
        case .number, .integer, .any: false
        }
    }

    static func attributes(_ pairs: [String], flag: String = "--attr") throws(UsageError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("\(flag) takes KEY=VALUE (got '\(pair)')")
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
