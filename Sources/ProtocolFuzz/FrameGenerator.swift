import MemAPI
import MemCube
import MemJSON

/// Makes fuzz frames from a seed: the same seed gives the same frames.
///
/// Most frames are recorded fixture requests (schemas/fixtures.json, ids
/// mapped to the live store's) with one to three mutations: extreme
/// numbers, type confusion, unknown keys (top-level and nested), removed
/// keys, oversize arrays, hostile strings, params sent to another method.
/// The rest are random bytes, invalid UTF-8 and NUL bytes inside a request,
/// truncated lines, bad envelopes, deep nesting, oversize lines and batches.
public struct FrameGenerator {
    /// A recorded request: its method and params.
    public struct Request: Sendable {
        public var method: String
        public var params: JSONValue

        public init(method: String, params: JSONValue) {
            self.method = method
            self.params = params
        }
    }

    private var rng: SplitMix64
    private let requests: [Request]
    private let methods: [String]
    private let hostileStrings: [String]
    private var nextID: Int64 = 1

    /// Objects whose keys are the client's own (anything goes), by key name.
    static let freeFormKeys: Set<String> = ["attributes", "source", "meta", "metadata"]  // metadata: a Mem0 record's attributes
    /// Stands for an integer literal too large for any JSON number type; replaced in the text.
    static let hugeIntegerMarker = "\u{1}huge-integer\u{1}"
    static let hugeInteger = "123456789012345678901234567890"

    /// `paths` are file names worth trying as `path` and `export_to` (the
    /// daemon's own database, /proc, devices).
    public init(seed: UInt64, requests: [Request], paths: [String] = []) {
        rng = SplitMix64(seed: seed)
        self.requests = requests
        methods = AllMethods.names
        hostileStrings = [
            "", " ", "\u{0}", "\u{0}abc", "\t\n\r", "🦀🦀🦀", "e\u{301}", "\u{202e}evil", "\u{feff}", "\u{7f}",
            String(repeating: "x", count: 70_000), String(repeating: "ü", count: 40_000),
            "what did we do 300000000 years ago", "99999999999999999999 days ago", "9223372036854775807 weeks ago",
            "in May 99999", "last year 1e308 days ago", "-5 days ago", "0 years ago",
            "2023-02-30T00:00:00Z", "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "2024-01-01T00:00:00+23:59",
            "1970-01-01", "99999-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "NaN", "1e308", "-0", "null", "true",
            "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "00000000000000000000000000", "0123456789ABCDEFGHJKMNPQRS", "../../etc/passwd",
            "/etc/shadow", "/proc/self/environ", "/dev/zero", "/dev/stdin", "/tmp", "/", "relative/path",
            "run-00000000000000000000000000", "job-1", "a/b/c", "x:y@z", String(repeating: "n", count: 129),
        ] + paths
    }

    public mutating func next() -> FuzzCase {
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<5: return randomBytes()
        case 5..<9: return brokenEncoding()
        case 9..<12: return truncated()
        case 12..<18: return badEnvelope()
        case 18..<20: return roll == 19 && Int.random(in: 0..<4, using: &rng) == 0 ? oversize() : deepNesting()
        case 20..<24: return batch()
        default: return mutation()
        }
    }

    // MARK: - Frames

    private mutating func randomBytes() -> FuzzCase {
        var bytes = (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.removeAll { $0 == UInt8(ascii: "\n") }
        // A line of only blanks is skipped by the server, as it should be: make it a frame.
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { bytes.insert(UInt8(ascii: "#"), at: 0) }
        return FuzzCase(label: "random-bytes", frame: bytes, expect: .error(["parse_error", "invalid_request"]))
    }

    /// A valid request with raw invalid UTF-8, a raw NUL or a raw control byte inside a string.
    private mutating func brokenEncoding() -> FuzzCase {
        let request = pick(requests)
        var text = Array(encode(method: request.method, params: request.params, id: .int(takeID())).utf8)
        let quotes = text.indices.filter { text[$0] == UInt8(ascii: "\"") }
        let poison: [[UInt8]] = [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0x00], [0x01], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]]
        let at = (quotes.randomElement(using: &rng) ?? 0) + 1
        text.insert(contentsOf: pick(poison), at: min(at, text.count))
        return FuzzCase(label: "broken-encoding", frame: text, expect: .error(["parse_error"]), method: request.method)
    }

    private mutating func truncated() -> FuzzCase {
        let request = pick(requests)
        let text = Array(encode(method: request.method, params: request.params, id: .int(takeID())).utf8)
        var cut = Array(text.prefix(Int.random(in: 1..<max(2, text.count), using: &rng)))
        if cut.allSatisfy({ $0 == 0x20 }) { cut = [UInt8(ascii: "{")] }
        return FuzzCase(label: "truncated", frame: cut, expect: .error(["parse_error"]), method: request.method)
    }

    private mutating func badEnvelope() -> FuzzCase {
        let request = pick(requests)
        let id = JSONValue.int(takeID())
        var object: [String: JSONValue] = ["jsonrpc": "2.0", "id": id, "method": .string(request.method), "params": request.params]
        var expect: Set<String> = ["invalid_request"]
        var echoedID: JSONValue? = id
        var unanswered = false
        switch Int.random(in: 0..<11, using: &rng) {
        case 0: object["jsonrpc"] = pick(["1.0", "2", .int(2), .null, .double(2.0), ""])
        case 1: object["jsonrpc"] = nil
        case 2:
            object["id"] = pick([.double(1.5), .bool(true), .array([]), .object([:]), .double(1e308)])
            echoedID = nil
        case 3: object["method"] = pick([.int(1), .null, .array(["memory.add"]), .bool(false)])
        case 4: object["method"] = nil
        case 5:
            object["method"] = .string(pick(["memory.ad", "", "MEMORY.ADD", "memory.add ", "rpc.discover", "initialize", "\u{0}"]))
            expect = ["method_not_found"]
        case 6:
            // No id: a notification, which gets no reply when it is a valid call.
            object["id"] = nil
            echoedID = nil
            unanswered = true
            expect = []
        case 7:
            object["params"] = pick([.int(1), .string("x"), .array([]), .bool(true), .double(-0.0)])
            expect = ["invalid_params"]
        case 8:
            if Bool.random(using: &rng) {
                // A batch of non-requests: each element answered with invalid_request.
                return FuzzCase(label: "batch", frame: Array(pick(["[1]", "[[]]", "[null]", "[\"x\", 2]"]).utf8), expect: .anyDocumented, method: "batch")
            }
            return FuzzCase(label: "envelope", frame: Array(pick(["1", "\"x\"", "null", "true", "-0", "1e308"]).utf8),
                            expect: .error(["invalid_request"]))
        case 9:
            return FuzzCase(label: "envelope", frame: Array("[]".utf8), expect: .error(["invalid_request"]))
        default:
            object["extra"] = .string("x")  // JSON-RPC members beyond the four are ignored by the spec; memos ignores them too
            expect = []
        }
        var frame = FuzzCase(
            label: "envelope", frame: JSONValue.object(object).jsonBytes, expect: expect.isEmpty ? .anyDocumented : .error(expect),
            method: object["method"]?.stringValue, id: echoedID)
        frame.mayGoUnanswered = unanswered
        return frame
    }

    private mutating func deepNesting() -> FuzzCase {
        let depth = Int.random(in: 600...20_000, using: &rng)
        let open = pick(["[", "{\"a\":"])
        let close = open == "[" ? "]" : "}"
        let text = "{\"jsonrpc\":\"2.0\",\"id\":\(takeID()),\"method\":\"memory.add\",\"params\":{\"namespace\":\"demo\",\"text\":\"x\",\"source\":"
            + String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth) + "}}"
        return FuzzCase(label: "deep-nesting", frame: Array(text.utf8), expect: .error(["parse_error", "payload_too_large"]))
    }

    /// A line longer than the fuzz daemon's frame limit (256 KiB).
    private mutating func oversize() -> FuzzCase {
        let text = "{\"jsonrpc\":\"2.0\",\"id\":\(takeID()),\"method\":\"memory.add\",\"params\":{\"namespace\":\"demo\",\"text\":\""
            + String(repeating: "a", count: Int.random(in: 300_000...600_000, using: &rng)) + "\"}}"
        return FuzzCase(label: "oversize", frame: Array(text.utf8), expect: .error(["payload_too_large"]))
    }

    private mutating func batch() -> FuzzCase {
        if Int.random(in: 0..<8, using: &rng) == 0 {
            // Over the batch limit.
            let one = encode(method: SystemHealth.name, params: .object([:]), id: .int(takeID()))
            let text = "[" + Array(repeating: one, count: 101).joined(separator: ",") + "]"
            return FuzzCase(label: "batch", frame: Array(text.utf8), expect: .error(["payload_too_large"]))
        }
        let parts = (0..<Int.random(in: 1...4, using: &rng)).map { _ in mutation() }
        let text = "[" + parts.map { String(decoding: $0.frame, as: UTF8.self) }.joined(separator: ",") + "]"
        return FuzzCase(label: "batch", frame: Array(text.utf8), expect: .anyDocumented, method: "batch")
    }

    /// A fixture request with one to three mutations.
    private mutating func mutation() -> FuzzCase {
        let request = pick(requests)
        var method = request.method
        var params = request.params
        var mustBeInvalid = false
        var labels: [String] = []
        edits: for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1, 2:
                labels.append("extreme")
                params = replacingRandomLeaf(params, with: extremeValue())
            case 3, 4:
                labels.append("type")
                params = replacingRandomLeaf(params, with: confusedValue())
            case 5:
                labels.append("unknown-key")
                if let (changed, strict) = addingUnknownKey(params) {
                    params = changed
                    mustBeInvalid = strict
                }
                break edits  // the last edit, so that no later one removes the key again
            case 6:
                labels.append("remove")
                params = removingRandomKey(params)
            case 7:
                labels.append("big-array")
                params = replacingRandomLeaf(params, with: .array(Array(repeating: pick([.string("01M810J6KFPRWC6EF0S5SE9RZ0"), .int(1), .double(1e308)]), count: Int.random(in: 1001...3000, using: &rng))))
            case 8:
                labels.append("string")
                params = replacingRandomLeaf(params, with: .string(pick(hostileStrings)))
            default:
                labels.append("other-method")
                method = pick(methods)
            }
        }
        let id = JSONValue.int(takeID())
        var text = encode(method: method, params: params, id: id)
        if text.contains("\\u0001huge-integer\\u0001") {
            text = text.replacingOccurrences(of: "\"\\u0001huge-integer\\u0001\"", with: Self.hugeInteger)
        }
        return FuzzCase(
            label: "mutation:" + labels.joined(separator: "+"), frame: Array(text.utf8),
            expect: mustBeInvalid ? .error(["invalid_params"]) : .anyDocumented, method: method, id: id)
    }

    // MARK: - Values

    private mutating func extremeValue() -> JSONValue {
        pick([
            .double(1e308), .double(-1e308), .double(1e16), .double(-1e16), .double(-0.0), .double(Double.leastNonzeroMagnitude), .double(1e-308),
            .double(2.5), .double(0.5), .double(1.0000000000000002), .double(9.007199254740993e15),
            .int(0), .int(-1), .int(1), .int(Int64.max), .int(Int64.min), .int(Int64.max - 1), .int(Int64(Int32.max) + 1),
            .int(1_000_000_000_000), .string(Self.hugeIntegerMarker),
        ])
    }

    private mutating func confusedValue() -> JSONValue {
        pick([
            .null, .bool(true), .bool(false), .array([]), .object([:]), .array([.null]), .object(["a": .int(1)]),
            .string("3"), .string(""), .int(3), .double(2.5), .array([.array([.array([])])]), .array([.object([:])]),
        ])
    }

    // MARK: - Tree edits

    /// Paths to every value below the root (not the root itself).
    private func paths(_ value: JSONValue, _ prefix: [PathStep] = []) -> [[PathStep]] {
        var result: [[PathStep]] = []
        switch value {
        case .object(let object):
            for key in object.keys.sorted() {
                let path = prefix + [.key(key)]
                result.append(path)
                result += paths(object[key]!, path)
            }
        case .array(let array):
            for (i, item) in array.enumerated().prefix(8) {
                let path = prefix + [.index(i)]
                result.append(path)
                result += paths(item, path)
            }
        default: break
        }
        return result
    }

    enum PathStep: Hashable { case key(String), index(Int) }

    private mutating func replacingRandomLeaf(_ root: JSONValue, with value: JSONValue) -> JSONValue {
        let all = paths(root)
        guard let path = all.randomElement(using: &rng) else { return value }
        return setting(root, path[...], to: value)
    }

    private func setting(_ root: JSONValue, _ path: ArraySlice<PathStep>, to value: JSONValue?) -> JSONValue {
        guard let step = path.first else { return value ?? .null }
        switch (root, step) {
        case (.object(var object), .key(let key)):
            if path.count == 1 { object[key] = value } else if let child = object[key] { object[key] = setting(child, path.dropFirst(), to: value) }
            return .object(object)
        case (.array(var array), .index(let i)) where array.indices.contains(i):
            if path.count == 1 {
                if let value { array[i] = value } else { array.remove(at: i) }
            } else {
                array[i] = setting(array[i], path.dropFirst(), to: value)
            }
            return .array(array)
        default:
            return root
        }
    }

    private mutating func removingRandomKey(_ root: JSONValue) -> JSONValue {
        let keyed = paths(root).filter { if case .key = $0.last { return true } else { return false } }
        guard let path = keyed.randomElement(using: &rng) else { return root }
        return setting(root, path[...], to: nil)
    }

    /// Adds a key no params object has (or a near-typo of one it has); says
    /// whether the object is one of memos's own (so the key must be refused).
    private mutating func addingUnknownKey(_ root: JSONValue) -> (JSONValue, Bool)? {
        var objects: [[PathStep]] = [[]]
        for path in paths(root) {
            if case .object = value(at: path[...], in: root) { objects.append(path) }
        }
        let path = pick(objects)
        guard case .object(let object)? = value(at: path[...], in: root) else { return nil }
        // Only the client's own objects take any key (inside recall's weights an unknown key is an unknown signal: refused too).
        let refused = !path.contains { if case .key(let k) = $0 { return Self.freeFormKeys.contains(k) } else { return false } }
        var key = "zz_unknown_\(Int.random(in: 0..<1000, using: &rng))"
        if let existing = object.keys.sorted().randomElement(using: &rng), existing.count > 2, Bool.random(using: &rng) {
            var letters = Array(existing)
            letters.swapAt(0, 1)
            let typo = String(letters)
            if object[typo] == nil { key = typo }
        }
        var changed = object
        changed[key] = .int(1)
        return (setting(root, path[...], to: .object(changed)), refused && !object.keys.contains(key))
    }

    private func value(at path: ArraySlice<PathStep>, in root: JSONValue) -> JSONValue? {
        guard let step = path.first else { return root }
        switch (root, step) {
        case (.object(let object), .key(let key)): return object[key].flatMap { value(at: path.dropFirst(), in: $0) }
        case (.array(let array), .index(let i)) where array.indices.contains(i): return value(at: path.dropFirst(), in: array[i])
        default: return nil
        }
    }

    // MARK: - Helpers

    private mutating func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    private func encode(method: String, params: JSONValue, id: JSONValue) -> String {
        String(decoding: JSONValue.object(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params]).jsonBytes, as: UTF8.self)
    }
}


