import MemCube
import MemJSON

/// Reads the filter language from a request's JSON into a `CubeFilter`.
///
/// A filter is an object; its keys are ANDed. A key is a field (`agent`,
/// `importance`, ...) with a value (equality; for `tags` an array means all
/// of them) or an object of operators (`{"gte": 0.7, "lt": 1}`), or
/// `attributes` with an object of attribute names (also written
/// `"attributes.<name>"`), or a combinator: `and` / `or` (arrays of filters),
/// `not` (a filter). At the top only: `since`, `until` (event time), `state`
/// (which versions memory.list reads, `any` for all) and `model`. Every error
/// names its place: `filter.and[1].attributes.project.gte: expects a number`.
public struct FilterParser: Sendable {
    public var limits: Limits
    /// Top-level keys only memory.list understands (`state`, `model`) are refused elsewhere.
    public var listOnlyAllowed: Bool

    public static let maxDepth = 16
    public static let maxConditions = 512
    public static let maxOptions = 1000
    public static let maxStringBytes = 1024

    /// The keys a filter object may hold besides field names.
    public static let combinators = ["and", "or", "not"]
    public static let topOnly = ["since", "until", "state", "model"]
    public static var allKeys: Set<String> {
        Set(FilterField.named.keys).union(combinators).union(topOnly).union(["attributes"])
    }

    public init(limits: Limits = Limits(), listOnlyAllowed: Bool) {
        self.limits = limits
        self.listOnlyAllowed = listOnlyAllowed
    }

    public func parse(_ value: JSONValue?, field path: String) throws(ValidationError) -> CubeFilter {
        var filter = CubeFilter()
        guard let value, value != .null else { return filter }
        var budget = Self.maxConditions
        let conditions = try object(value, path: path, depth: 0, top: &filter, budget: &budget)
        if let since = filter.since, let until = filter.until, since > until {
            throw ValidationError(field: "\(path).until", "is before since")
        }
        filter.expression = conditions.isEmpty ? nil : conditions.count == 1 ? conditions[0] : .all(conditions)
        return filter
    }

    /// The conditions of one filter object. `top` is the filter being built
    /// when this is the outermost object (shorthand fields land there), nil inside.
    private func object(
        _ value: JSONValue, path: String, depth: Int, top: inout CubeFilter, budget: inout Int, nested: Bool = false
    ) throws(ValidationError) -> [FilterExpression] {
        guard case .object(let keys) = value else { throw ValidationError(field: path, "must be an object, not \(value.typeName)") }
        guard depth <= Self.maxDepth else { throw ValidationError(field: path, "nests deeper than \(Self.maxDepth) levels") }
        var conditions: [FilterExpression] = []
        for key in keys.keys.sorted() {
            let item = keys[key]!, here = "\(path).\(key)"
            switch key {
            case "and", "or":
                guard case .array(let parts) = item, !parts.isEmpty else {
                    throw ValidationError(field: here, "must be a non-empty array of filters")
                }
                var inner: [FilterExpression] = []
                for (i, part) in parts.enumerated() {
                    let parsed = try object(part, path: "\(here)[\(i)]", depth: depth + 1, top: &top, budget: &budget, nested: true)
                    inner.append(parsed.count == 1 ? parsed[0] : .all(parsed))
                }
                conditions.append(key == "and" ? .all(inner) : .any(inner))
            case "not":
                let parsed = try object(item, path: here, depth: depth + 1, top: &top, budget: &budget, nested: true)
                conditions.append(.not(parsed.count == 1 ? parsed[0] : .all(parsed)))
            case "since", "until", "state", "model":
                if nested, key == "state" {
                    conditions += try field(.state, item, path: here, budget: &budget)
                    continue
                }
                guard !nested else {
                    // (state inside is a condition, taken above)
                    let instead = key == "model" ? "" : "; inside and/or/not use occurred_at or created_at with gte/lte"
                    throw ValidationError(field: here, "is only allowed at the top of a filter\(instead)")
                }
                try shorthand(key, item, path: here, into: &top, conditions: &conditions, budget: &budget)
            case "attributes":
                guard case .object(let names) = item else {
                    throw ValidationError(field: here, "must be an object of attribute names, not \(item.typeName)")
                }
                for name in names.keys.sorted() {
                    conditions += try field(try attribute(name, path: "\(here).\(name)"), names[name]!, path: "\(here).\(name)", budget: &budget)
                }
            default:
                if key.hasPrefix("attributes.") {
                    let name = String(key.dropFirst("attributes.".count))
                    conditions += try field(try attribute(name, path: here), item, path: here, budget: &budget)
                } else if let named = FilterField.named[key] {
                    // Top-level equality on the plain fields stays in the shorthand (same meaning, as before).
                    if !nested, try plainShorthand(named, item, path: here, into: &top) { continue }
                    conditions += try field(named, item, path: here, budget: &budget)
                } else {
                    throw ValidationError(field: here, "is not a filter field\(KeySuggestion.text(key, Self.allKeys))")
                }
            }
        }
        return conditions
    }

    private func attribute(_ name: String, path: String) throws(ValidationError) -> FilterField {
        guard !name.isEmpty else { throw ValidationError(field: path, "needs an attribute name") }
        guard name.utf8.count <= limits.maxNameBytes else {
            throw ValidationError(field: path, "attribute names are at most \(limits.maxNameBytes) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control }) else {
            throw ValidationError(field: path, "attribute names in filters cannot hold quotes, backslashes or control characters")
        }
        return .attribute(name)
    }

    /// since/until/state/model at the top.
    private func shorthand(
        _ key: String, _ value: JSONValue, path: String, into filter: inout CubeFilter, conditions: inout [FilterExpression],
        budget: inout Int
    ) throws(ValidationError) {
        switch key {
        case "since", "until":
            let time = try timestamp(value, path: path)
            if key == "since" { filter.since = time } else { filter.until = time }
        case "model":
            guard listOnlyAllowed else { throw ValidationError(field: path, "is only accepted by memory.list") }
            filter.model = try string(value, path: path)
        default:  // state
            if case .string(let text) = value {
                guard listOnlyAllowed else {
                    throw ValidationError(field: path, "is only accepted by memory.list (other methods read active memories)")
                }
                guard let states = CubeFilter.States(rawValue: text) else {
                    throw ValidationError(field: path, "must be one of active, superseded, forgotten, any")
                }
                filter.states = states
            } else {
                // Operators on state: memory.list reads every state and the conditions decide.
                conditions += try field(.state, value, path: path, budget: &budget)
                if listOnlyAllowed { filter.states = .any }
            }
        }
    }

    /// Top-level `agent: "x"`, `tags: [...]`, `kind: "..."`: the shorthand fields. False when the value has operators.
    private func plainShorthand(_ field: FilterField, _ value: JSONValue, path: String, into filter: inout CubeFilter) throws(ValidationError) -> Bool {
        if case .object = value { return false }
        switch field {
        case .tags:
            guard case .array(let items) = value else { return false }
            var tags: [String] = []
            for (i, item) in items.enumerated() { tags.append(try string(item, path: "\(path)[\(i)]")) }
            try limits.checkTags(tags, field: path)
            filter.tags = tags
        case .agent, .session:
            let name = try string(value, path: path)
            try limits.checkName(name, field: path)
            filter[keyPath: field == .agent ? \CubeFilter.agent : \CubeFilter.session] = name
        case .speaker:
            let name = try string(value, path: path)
            try limits.checkSpeaker(name, field: path)
            filter.speaker = name
        case .kind:
            guard let kind = Kind(rawValue: try string(value, path: path)) else {
                throw ValidationError(field: path, "must be plaintext, activation or parameter")
            }
            filter.kind = kind
        case .tier:
            guard let tier = Tier(rawValue: try string(value, path: path)) else {
                throw ValidationError(field: path, "must be working, active or archive")
            }
            filter.tier = tier
        default:
            return false
        }
        return true
    }

    /// A field's value: equality, or an object of operators (ANDed).
    private func field(_ field: FilterField, _ value: JSONValue, path: String, budget: inout Int) throws(ValidationError) -> [FilterExpression] {
        var pairs: [(FilterOperator, JSONValue, String)] = []
        if case .object(let ops) = value {
            guard !ops.isEmpty else { throw ValidationError(field: path, "needs at least one operator (\(Self.operatorList))") }
            for name in ops.keys.sorted() {
                guard let op = FilterOperator(rawValue: name) else {
                    throw ValidationError(field: "\(path).\(name)", "is not an operator; use one of \(Self.operatorList)\(KeySuggestion.text(name, Set(FilterOperator.allCases.map(\.rawValue))))")
                }
                pairs.append((op, ops[name]!, "\(path).\(name)"))
            }
        } else if field == .tags, case .array(let tags) = value {
            // tags: [a, b] means both present, as at the top.
            guard !tags.isEmpty else { throw ValidationError(field: path, "must name at least one tag") }
            pairs = tags.enumerated().map { (.contains, $0.element, "\(path)[\($0.offset)]") }
        } else {
            pairs = [(.eq, value, path)]
        }
        var conditions: [FilterExpression] = []
        for (op, operand, here) in pairs {
            budget -= 1
            guard budget >= 0 else { throw ValidationError(field: here, "the filter has more than \(Self.maxConditions) conditions") }
            conditions.append(.condition(FilterCondition(field, op, try self.operand(op, operand, for: field, path: here))))
        }
        return conditions
    }

    static let operatorList = FilterOperator.allCases.map(\.rawValue).joined(separator: ", ")

    private func operand(_ op: FilterOperator, _ value: JSONValue, for field: FilterField, path: String) throws(ValidationError) -> FilterValue {
        switch op {
        case .exists:
            guard case .bool(let flag) = value else { throw ValidationError(field: path, "expects true or false") }
            return .bool(flag)
        case .in, .nin:
            guard case .array(let items) = value, !items.isEmpty else { throw ValidationError(field: path, "expects a non-empty array") }
            guard items.count <= Self.maxOptions else { throw ValidationError(field: path, "holds more than \(Self.maxOptions) values") }
            var options: [FilterValue] = []
            for (i, item) in items.enumerated() { options.append(try equality(item, for: field, path: "\(path)[\(i)]")) }
            return .list(options)
        case .eq, .ne:
            return try equality(value, for: field, path: path)
        case .gt, .gte, .lt, .lte:
            switch field.valueType {
            case .number, .integer, .any: return .number(try number(value, path: path))
            case .time: return .number(Double(try timestamp(value, path: path).millis))
            case .list, .text, .choice:
                throw ValidationError(field: path, "\(op.rawValue) compares numbers and times; \(field.name) holds \(field.valueType == .list ? "tags" : "text")")
            }
        case .contains:
            switch field.valueType {
            case .list, .text: return .string(try string(value, path: path))
            case .any: return try scalar(value, path: path)
            case .choice, .number, .integer, .time:
                throw ValidationError(field: path, "contains applies to tags, text fields and attributes, not to \(field.name)")
            }
        }
    }

    /// An operand of eq/ne/in/nin, typed by the field.
    private func equality(_ value: JSONValue, for field: FilterField, path: String) throws(ValidationError) -> FilterValue {
        switch field.valueType {
        case .list, .text: return .string(try string(value, path: path))
        case .choice(let options):
            let text = try string(value, path: path)
            guard options.contains(text) else { throw ValidationError(field: path, "must be one of \(options.joined(separator: ", "))") }
            return .string(text)
        case .number: return .number(try number(value, path: path))
        case .integer:
            let n = try number(value, path: path)
            guard n == n.rounded() else { throw ValidationError(field: path, "expects a whole number") }
            return .number(n)
        case .time: return .number(Double(try timestamp(value, path: path).millis))
        case .any: return try scalar(value, path: path)
        }
    }

    private func scalar(_ value: JSONValue, path: String) throws(ValidationError) -> FilterValue {
        switch value {
        case .string: return .string(try string(value, path: path))
        case .bool(let b): return .bool(b)
        case .int, .double: return .number(try number(value, path: path))
        default: throw ValidationError(field: path, "expects a string, number or boolean, not \(value.typeName)")
        }
    }

    private func string(_ value: JSONValue, path: String) throws(ValidationError) -> String {
        guard case .string(let text) = value else { throw ValidationError(field: path, "expects a string, not \(value.typeName)") }
        guard text.utf8.count <= Self.maxStringBytes else { throw ValidationError(field: path, "is longer than \(Self.maxStringBytes) bytes") }
        return text
    }

    private func number(_ value: JSONValue, path: String) throws(ValidationError) -> Double {
        guard let n = value.doubleValue else { throw ValidationError(field: path, "expects a number, not \(value.typeName)") }
        guard n.isFinite, abs(n) <= 9.0e15 else { throw ValidationError(field: path, "expects a finite number within ±9e15") }
        return n
    }

    private func timestamp(_ value: JSONValue, path: String) throws(ValidationError) -> Timestamp {
        guard case .string(let text) = value, let time = Timestamp(iso8601: text) else {
            throw ValidationError(field: path, "expects an ISO 8601 time (e.g. 2024-05-08T13:56:00Z)")
        }
        return time
    }
}
