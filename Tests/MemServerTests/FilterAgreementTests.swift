import Foundation
import Testing
import MemCube
import MemJSON
@testable import MemServer

/// Recall, list, get and forget read one filter language with one meaning:
/// random filters over a random store, each method's answer compared with a
/// brute-force evaluator written here from docs/filters.md, independent of
/// the daemon's parser, evaluator and SQL.
@Suite struct FilterAgreementTests {
    @Test func everyMethodAgreesWithTheBruteForceEvaluator() throws {
        var rng = SplitMix64(seed: 19)
        let h = try Harness()
        let store = try RandomStore(h, count: 160, rng: &rng)
        let memories = try store.all()
        #expect(memories.count == 160)
        let ids = memories.compactMap { $0["id"] }
        var nonTrivial = 0
        for round in 0..<80 {
            let filter = FilterGen(store: store).filter(&rng, top: true)
            let scope = Scope(filter)
            let expected = Set(memories.filter { scope.reads($0) && Brute.passes(filter, $0, top: true) }.compactMap { $0["id"]?.stringValue })
            if !expected.isEmpty && expected.count < memories.count / 2 { nonTrivial += 1 }
            let why = "round \(round): \(filter)"

            let listed = try h.result("memory.list", ["namespace": "n", "limit": 1000, "filter": filter])
            #expect(Self.ids(listed["memories"]) == expected, "list, \(why)")

            let got = try h.result("memory.get", ["namespace": "n", "ids": .array(ids), "filter": filter])
            #expect(Self.ids(got["memories"]) == expected, "get, \(why)")
            #expect((got["not_found"]?.arrayValue?.count ?? -1) == memories.count - expected.count, "get not_found, \(why)")

            let counted = try h.result("memory.forget", ["namespace": "n", "filter": filter, "dry_run": true])
            #expect(counted["matched"]?.intValue == expected.count && counted["forgotten"]?.intValue == 0, "forget dry_run, \(why)")
            let sample = Set(counted["ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(sample.isSubset(of: expected) && sample.count == min(expected.count, 100), "forget dry_run ids, \(why)")

            // Recall searches active memories only, so it takes no top-level state
            // scope; conditions on state there mean what they mean elsewhere.
            if case .string? = filter["state"] {
                #expect(errorField(try h.call("memory.recall", ["namespace": "n", "query": "memo", "filter": filter])) == "params.filter.state")
            } else {
                let active = Set(memories.filter { $0["state"] == "active" && Brute.passes(filter, $0, top: true) }.compactMap { $0["id"]?.stringValue })
                let recalled = try h.result("memory.recall", ["namespace": "n", "query": "memo", "k": 1000, "filter": filter])
                #expect(Self.ids(recalled["hits"]) == active, "recall, \(why)")
            }
        }
        #expect(nonTrivial >= 20, "the generator should make selective filters, made \(nonTrivial)")

        // A real bulk forget takes exactly what the dry run counted, and nothing else changes.
        let filter: JSONValue = ["or": [["agent": "planner"], ["attributes.n": ["gte": 3]]]]
        let expected = Set(memories.filter { Scope(filter).reads($0) && Brute.passes(filter, $0, top: true) }.compactMap { $0["id"]?.stringValue })
        let forgotten = try h.result("memory.forget", ["namespace": "n", "filter": filter])
        #expect(forgotten["matched"]?.intValue == expected.count && forgotten["forgotten"]?.intValue == expected.count)
        let after = try store.all()
        for memory in after {
            let id = memory["id"]!.stringValue!
            let before = memories.first { $0["id"]?.stringValue == id }!
            #expect(memory["state"] == (expected.contains(id) ? "forgotten" : before["state"]), "\(id)")
        }
    }

    /// Every method names the place inside the filter where it went wrong.
    @Test func errorsNameThePathInsideTheFilter() throws {
        let h = try Harness()
        let bad: JSONValue = ["and": [["agent": "x"], ["attributes": ["project": ["gte": "apollo"]]]]]
        let someID: JSONValue = "01JD3Q6T5V8XKZ2M4N6P8R0S2T"
        for (method, params) in [
            ("memory.recall", ["namespace": "n", "query": "q", "filter": bad]),
            ("memory.list", ["namespace": "n", "filter": bad]),
            ("memory.get", ["namespace": "n", "ids": [someID], "filter": bad]),
            ("memory.forget", ["namespace": "n", "filter": bad, "dry_run": true]),
        ] as [(String, JSONValue)] {
            let response = try h.call(method, params)
            #expect(errorField(response) == "params.filter.and[1].attributes.project.gte", "\(method)")
            #expect(response["error"]?["message"]?.stringValue?.contains("expects a number") == true, "\(method): \(response)")
        }
        let cases: [(JSONValue, String)] = [
            (["importance": ["between": 1]], "params.filter.importance.between"),
            (["or": [["tags": ["gt": 2]]]], "params.filter.or[0].tags.gt"),
            (["not": ["since": "2024-01-01"]], "params.filter.not.since"),
            (["atributes": ["x": 1]], "params.filter.atributes"),
            (["kind": ["in": ["plaintext", "video"]]], "params.filter.kind.in[1]"),
            (["attributes.": 1], "params.filter.attributes."),
            (["created_at": ["lt": "soon"]], "params.filter.created_at.lt"),
            (["and": []], "params.filter.and"),
        ]
        for (filter, field) in cases {
            #expect(errorField(try h.call("memory.list", ["namespace": "n", "filter": filter])) == field, "\(filter)")
        }
        let typo = try h.call("memory.list", ["namespace": "n", "filter": ["atributes": ["x": 1]]])
        #expect(typo["error"]?["message"]?.stringValue?.contains("attributes") == true)
        // A bulk forget with an empty filter would take everything: refused, nothing changes.
        _ = try h.result("memory.add", ["namespace": "n", "text": "keep me"])
        let before = try h.fingerprint()
        #expect(errorField(try h.call("memory.forget", ["namespace": "n", "filter": [:]])) == "params.filter")
        #expect(errorField(try h.call("memory.forget", ["namespace": "n", "ids": [someID], "filter": ["agent": "x"]])) == "params.filter")
        #expect(errorField(try h.call("memory.forget", ["namespace": "n", "ids": [someID], "dry_run": true])) != nil)
        #expect(try h.fingerprint() == before)
    }

    static func ids(_ list: JSONValue?) -> Set<String> {
        Set(list?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
    }
}

/// Which states list, get and forget read for a filter: active unless the
/// top names a state (`any`: all), or every state when the top tests state
/// with operators (the conditions decide).
private struct Scope {
    var state: String?
    init(_ filter: JSONValue) {
        switch filter["state"] {
        case .string(let s)?: state = s
        case .object?: state = "any"
        default: state = nil
        }
    }
    func reads(_ memory: JSONValue) -> Bool {
        state == "any" || memory["state"]?.stringValue == (state ?? "active")
    }
}

/// A store of plaintext memories with every field the language tests set at random.
private struct RandomStore {
    static let tags = ["work", "home", "travel", "urgent", "Work"]
    static let agents = ["planner", "writer", "critic"]
    static let sessions = ["s1", "s2", "s3"]
    static let speakers = ["Caroline", "Melanie", "Carol"]
    static let projects = ["apollo", "gemini", "Apollo", "apollo-2"]
    let h: Harness
    let start: Timestamp

    init(_ h: Harness, count: Int, rng: inout SplitMix64) throws {
        self.h = h
        start = h.clock.now
        var ids: [JSONValue] = []
        for i in 0..<count {
            var item: [String: JSONValue] = ["namespace": "n", "text": .string("memo \(i) about \(Self.projects.randomElement(using: &rng)!)")]
            let tagCount = Int.random(in: 0...3, using: &rng)
            item["tags"] = .array(Array(Set((0..<tagCount).map { _ in Self.tags.randomElement(using: &rng)! })).sorted().map(JSONValue.string))
            if Bool.random(using: &rng) { item["agent"] = .string(Self.agents.randomElement(using: &rng)!) }
            if Int.random(in: 0..<3, using: &rng) > 0 { item["session"] = .string(Self.sessions.randomElement(using: &rng)!) }
            if Bool.random(using: &rng) { item["speaker"] = .string(Self.speakers.randomElement(using: &rng)!) }
            item["importance"] = .double(Double(Int.random(in: 0...10, using: &rng)) / 10)
            if Bool.random(using: &rng) {
                item["occurred_at"] = .string(Timestamp(millis: Self.year2023 + Int64.random(in: 0..<365, using: &rng) * 86_400_000).iso8601)
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { item["ttl_seconds"] = .int(Int64.random(in: 100_000...9_000_000, using: &rng)) }
            var attributes: [String: JSONValue] = [:]
            if Int.random(in: 0..<3, using: &rng) > 0 { attributes["project"] = .string(Self.projects.randomElement(using: &rng)!) }
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: attributes["n"] = .int(Int64.random(in: 0...5, using: &rng))
            case 1: attributes["n"] = .double(Double(Int.random(in: 0...50, using: &rng)) / 10)
            case 2: attributes["n"] = .string("3")
            default: break
            }
            if Bool.random(using: &rng) { attributes["flag"] = .bool(Bool.random(using: &rng)) }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                attributes["list"] = .array([.string(Self.tags.randomElement(using: &rng)!), .int(Int64.random(in: 0...3, using: &rng))])
            }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: attributes["mixed"] = .null
            case 1: attributes["mixed"] = ["nested": 1]
            case 2: attributes["mixed"] = .bool(true)
            case 3: attributes["mixed"] = .string("apollo")
            default: break
            }
            item["attributes"] = .object(attributes)
            let added = try h.result("memory.add", .object(item))
            ids.append(try #require(added["id"]))
            h.clock.advance(seconds: 1)
        }
        // Later versions for some, and some forgotten: version and state vary too.
        for id in ids where Int.random(in: 0..<5, using: &rng) == 0 {
            _ = try h.result("memory.update", ["namespace": "n", "id": id, "importance": .double(Double(Int.random(in: 0...10, using: &rng)) / 10)])
        }
        let forgotten = ids.filter { _ in Int.random(in: 0..<8, using: &rng) == 0 }
        if !forgotten.isEmpty { _ = try h.result("memory.forget", ["namespace": "n", "ids": .array(forgotten)]) }
    }

    static let year2023: Int64 = 1_672_531_200_000

    /// Every memory, in every state.
    func all() throws -> [JSONValue] {
        try h.result("memory.list", ["namespace": "n", "limit": 1000, "filter": ["state": "any"]])["memories"]?.arrayValue ?? []
    }
}

/// Random filters drawn from the values the store holds, so that many select a few.
private struct FilterGen {
    let store: RandomStore

    func filter(_ rng: inout SplitMix64, top: Bool, depth: Int = 0) -> JSONValue {
        var object: [String: JSONValue] = [:]
        let count = Int.random(in: 1...(depth == 0 ? 3 : 2), using: &rng)
        for _ in 0..<count {
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 2 && depth < 3 {
                let key = ["and", "or"].randomElement(using: &rng)!
                object[key] = .array((0..<Int.random(in: 1...3, using: &rng)).map { _ in filter(&rng, top: false, depth: depth + 1) })
            } else if roll == 2 && depth < 3 {
                object["not"] = filter(&rng, top: false, depth: depth + 1)
            } else {
                let (key, value) = condition(&rng, top: top)
                object[key] = value
            }
        }
        if top, Int.random(in: 0..<6, using: &rng) == 0 { object["state"] = .string(["any", "forgotten", "active"].randomElement(using: &rng)!) }
        if top, Int.random(in: 0..<6, using: &rng) == 0 { object["since"] = .string(time(&rng)) }
        if top, Int.random(in: 0..<8, using: &rng) == 0 { object["until"] = .string(time(&rng, after: object["since"])) }
        return .object(object)
    }

    private func time(_ rng: inout SplitMix64, after: JSONValue? = nil) -> String {
        if let after = after?.stringValue, let t = Timestamp(iso8601: after) {
            return Timestamp(millis: t.millis + Int64.random(in: 0...200, using: &rng) * 86_400_000).iso8601
        }
        return Timestamp(millis: RandomStore.year2023 + Int64.random(in: 0..<365, using: &rng) * 86_400_000).iso8601
    }

    private func createdTime(_ rng: inout SplitMix64) -> String {
        Timestamp(millis: store.start.millis + Int64.random(in: -5...170, using: &rng) * 1000 + 500).iso8601
    }

    private func ops(_ rng: inout SplitMix64, _ pool: [JSONValue], ordered: Bool, contains: [JSONValue] = []) -> JSONValue {
        var names = ["eq", "ne", "in", "nin", "exists"]
        if ordered { names += ["gt", "gte", "lt", "lte"] }
        if !contains.isEmpty { names += ["contains"] }
        var object: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            let op = names.randomElement(using: &rng)!
            switch op {
            case "in", "nin": object[op] = .array((0..<Int.random(in: 1...3, using: &rng)).map { _ in pool.randomElement(using: &rng)! })
            case "exists": object[op] = .bool(Bool.random(using: &rng))
            case "contains": object[op] = contains.randomElement(using: &rng)!
            case "eq", "ne": object[op] = pool.randomElement(using: &rng)!
            default:  // gt/gte/lt/lte compare numbers (times are their strings)
                let comparable = pool.filter { $0.doubleValue != nil || $0.stringValue.flatMap(Timestamp.init(iso8601:)) != nil }
                object[op] = comparable.randomElement(using: &rng)!
            }
        }
        return .object(object)
    }

    private func condition(_ rng: inout SplitMix64, top: Bool) -> (String, JSONValue) {
        func strings(_ list: [String]) -> [JSONValue] { list.map(JSONValue.string) }
        let plain = Bool.random(using: &rng)
        switch Int.random(in: 0..<16, using: &rng) {
        case 0:
            if plain { return ("tags", .array(strings(Array(RandomStore.tags.shuffled(using: &rng).prefix(Int.random(in: 1...2, using: &rng)))))) }
            return ("tags", ops(&rng, strings(RandomStore.tags), ordered: false, contains: strings(RandomStore.tags)))
        case 1: return ("agent", plain ? .string(RandomStore.agents.randomElement(using: &rng)!) : ops(&rng, strings(RandomStore.agents), ordered: false, contains: ["plan", "er", "x"]))
        case 2: return ("session", plain ? .string(RandomStore.sessions.randomElement(using: &rng)!) : ops(&rng, strings(RandomStore.sessions), ordered: false))
        case 3: return ("speaker", plain ? .string(RandomStore.speakers.randomElement(using: &rng)!) : ops(&rng, strings(RandomStore.speakers), ordered: false, contains: ["Carol", "line", "M"]))
        case 4: return ("kind", plain ? "plaintext" : ops(&rng, ["plaintext", "activation"], ordered: false))
        case 5: return ("tier", plain ? "active" : ops(&rng, ["active", "working", "archive"], ordered: false))
        case 6: return ("state", ops(&rng, ["active", "forgotten", "superseded"], ordered: false))
        case 7:
            let pool = (0...10).map { JSONValue.double(Double($0) / 10) }
            return ("importance", plain ? pool.randomElement(using: &rng)! : ops(&rng, pool, ordered: true))
        case 8: return ("version", plain ? .int(Int64.random(in: 1...2, using: &rng)) : ops(&rng, [1, 2, 3], ordered: true))
        case 9:
            let pool = (0..<4).map { _ in JSONValue.string(time(&rng)) }
            return ("occurred_at", ops(&rng, pool, ordered: true))
        case 10:
            let pool = (0..<4).map { _ in JSONValue.string(createdTime(&rng)) }
            return (["created_at", "valid_from"].randomElement(using: &rng)!, ops(&rng, pool, ordered: true))
        case 11:
            let later = (0..<3).map { _ in JSONValue.string(Timestamp(millis: store.start.millis + Int64.random(in: 100_000...9_000_000, using: &rng) * 1000).iso8601) }
            return (["expires_at", "valid_to"].randomElement(using: &rng)!, ops(&rng, later, ordered: true))
        case 12:
            let pool = strings(RandomStore.projects)
            let value = plain ? pool.randomElement(using: &rng)! : ops(&rng, pool, ordered: false, contains: ["apollo", "Apo", "-"])
            return Bool.random(using: &rng) ? ("attributes", ["project": value]) : ("attributes.project", value)
        case 13:
            let pool: [JSONValue] = [0, 1, 2.5, 3, "3", 4.2, 5]
            return ("attributes", ["n": plain ? pool.randomElement(using: &rng)! : ops(&rng, [0, 1, 2.5, 3, 4.2, 5], ordered: true)])
        case 14:
            let pool: [JSONValue] = [true, false, "apollo", 1]
            let name = ["flag", "mixed"].randomElement(using: &rng)!
            return ("attributes.\(name)", plain ? pool.randomElement(using: &rng)! : ops(&rng, pool, ordered: false, contains: ["apo", "x"]))
        default:
            let pool = strings(RandomStore.tags) + [0, 1, 2, 3]
            return ("attributes.list", plain ? pool.randomElement(using: &rng)! : ops(&rng, pool, ordered: true, contains: pool))
        }
    }
}

/// docs/filters.md, read literally: the reference the daemon is held to.
private enum Brute {
    /// A memory's value for a key: nil (none), or the scalars it holds (a
    /// list for tags and array attributes), and whether it is a list.
    enum Value { case none, scalar(JSONValue), list([JSONValue]) }

    static let timeKeys: Set<String> = ["created_at", "occurred_at", "valid_from", "valid_to", "expires_at"]

    static func passes(_ filter: JSONValue, _ memory: JSONValue, top: Bool) -> Bool {
        guard case .object(let keys) = filter else { return false }
        for (key, condition) in keys {
            let holds: Bool
            switch key {
            case "and": holds = condition.arrayValue!.allSatisfy { passes($0, memory, top: false) }
            case "or": holds = condition.arrayValue!.contains { passes($0, memory, top: false) }
            case "not": holds = !passes(condition, memory, top: false)
            case "since", "until":
                let event = millis(memory["occurred_at"] ?? memory["created_at"]!)!
                let bound = millis(condition)!
                holds = key == "since" ? event >= bound : event <= bound
            case "state" where top && condition.stringValue != nil: holds = true  // the scope, applied by the caller
            case "attributes":
                holds = condition.objectValue!.allSatisfy { name, inner in test(attribute(memory, name), inner, time: false, tags: false) }
            default:
                if key.hasPrefix("attributes.") {
                    holds = test(attribute(memory, String(key.dropFirst(11))), condition, time: false, tags: false)
                } else {
                    holds = test(field(memory, key), condition, time: timeKeys.contains(key), tags: key == "tags")
                }
            }
            if !holds { return false }
        }
        return true
    }

    static func field(_ memory: JSONValue, _ key: String) -> Value {
        guard let value = memory[key], value != .null else { return .none }
        if timeKeys.contains(key) { return .scalar(.int(millis(value)!)) }
        if case .array(let items) = value { return .list(items) }
        return .scalar(value)
    }

    static func attribute(_ memory: JSONValue, _ name: String) -> Value {
        guard let value = memory["attributes"]?[name], value != .null else { return .none }
        if case .array(let items) = value { return .list(items) }
        return .scalar(value)
    }

    static func millis(_ value: JSONValue) -> Int64? { value.stringValue.flatMap(Timestamp.init(iso8601:))?.millis }

    static func test(_ value: Value, _ condition: JSONValue, time: Bool, tags: Bool) -> Bool {
        if case .object(let ops) = condition {
            return ops.allSatisfy { op, operand in apply(op, time ? (operand.arrayValue.map { .array($0.map { .int(millis($0)!) }) } ?? (operand.boolValue != nil ? operand : .int(millis(operand)!))) : operand, value) }
        }
        if tags, case .array(let wanted) = condition { return wanted.allSatisfy { apply("contains", $0, value) } }
        return apply("eq", time ? .int(millis(condition)!) : condition, value)
    }

    static func apply(_ op: String, _ operand: JSONValue, _ value: Value) -> Bool {
        let elements: [JSONValue]
        switch value {
        case .none: elements = []
        case .scalar(let v): elements = [v]
        case .list(let items): elements = items
        }
        switch op {
        case "exists":
            return (!elements.isEmpty) == operand.boolValue!
        case "eq": return elements.contains { same($0, operand) }
        case "ne": return !apply("eq", operand, value)
        case "in": return operand.arrayValue!.contains { apply("eq", $0, value) }
        case "nin": return !apply("in", operand, value)
        case "contains":
            if case .list = value { return elements.contains { same($0, operand) } }
            guard case .string(let text)? = elements.first, case .string(let part) = operand else { return false }
            let haystack = Array(text.utf8), needle = Array(part.utf8)
            guard needle.count <= haystack.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        default:
            guard let b = operand.doubleValue else { return false }
            return elements.contains { element in
                guard case .int = element, let a = element.doubleValue else {
                    guard case .double(let a) = element else { return false }
                    return compare(op, a, b)
                }
                return compare(op, a, b)
            }
        }
    }

    static func compare(_ op: String, _ a: Double, _ b: Double) -> Bool {
        switch op {
        case "gt": a > b
        case "gte": a >= b
        case "lt": a < b
        default: a <= b
        }
    }

    /// Same type and value; numbers by value (1 == 1.0), never across types.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x.utf8.elementsEqual(y.utf8)
        case (.bool(let x), .bool(let y)): x == y
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): a.doubleValue == b.doubleValue
        default: false
        }
    }
}

private extension JSONValue {
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
}
