import MemCube
import MemJSON

/// The filter language's tree: conditions on a memory's fields and
/// attributes, combined with and/or/not. Parsed from JSON by `FilterParser`,
/// evaluated in memory by `matches(_:)` and compiled to SQL by `FilterSQL`;
/// the two must agree (tested on random filters over random stores).
public indirect enum FilterExpression: Sendable, Hashable {
    case all([FilterExpression])
    case any([FilterExpression])
    case not(FilterExpression)
    case condition(FilterCondition)

    /// True when the expression reads `field` anywhere.
    public func mentions(_ field: FilterField) -> Bool {
        switch self {
        case .all(let parts), .any(let parts): parts.contains { $0.mentions(field) }
        case .not(let inner): inner.mentions(field)
        case .condition(let condition): condition.field == field
        }
    }

    public func matches(_ subject: some FilterSubject) -> Bool {
        switch self {
        case .all(let parts): parts.allSatisfy { $0.matches(subject) }
        case .any(let parts): parts.contains { $0.matches(subject) }
        case .not(let inner): !inner.matches(subject)
        case .condition(let condition): condition.matches(subject.filterValue(condition.field))
        }
    }
}

/// A field a filter can test. Times are compared as epoch milliseconds.
public enum FilterField: Sendable, Hashable {
    case tags, agent, session, speaker, kind, tier, state
    case importance, version
    case createdAt, occurredAt, validFrom, validTo, expiresAt
    case attribute(String)

    /// The field's name in the filter language.
    public var name: String {
        switch self {
        case .tags: "tags"
        case .agent: "agent"
        case .session: "session"
        case .speaker: "speaker"
        case .kind: "kind"
        case .tier: "tier"
        case .state: "state"
        case .importance: "importance"
        case .version: "version"
        case .createdAt: "created_at"
        case .occurredAt: "occurred_at"
        case .validFrom: "valid_from"
        case .validTo: "valid_to"
        case .expiresAt: "expires_at"
        case .attribute(let key): "attributes.\(key)"
        }
    }

    /// Every named field (attributes aside), by its name.
    public static let named: [String: FilterField] = Dictionary(uniqueKeysWithValues: [
        FilterField.tags, .agent, .session, .speaker, .kind, .tier, .state, .importance, .version,
        .createdAt, .occurredAt, .validFrom, .validTo, .expiresAt,
    ].map { ($0.name, $0) })

    /// What kind of value the field holds, which decides the operands it takes.
    public enum ValueType: Sendable, Equatable { case list, text, choice([String]), number, integer, time, any }

    public var valueType: ValueType {
        switch self {
        case .tags: .list
        case .agent, .session, .speaker: .text
        case .kind: .choice(Kind.allCases.map(\.rawValue))
        case .tier: .choice(Tier.allCases.map(\.rawValue))
        case .state: .choice(CubeState.allCases.map(\.rawValue))
        case .importance: .number
        case .version: .integer
        case .createdAt, .occurredAt, .validFrom, .validTo, .expiresAt: .time
        case .attribute: .any
        }
    }
}

public enum FilterOperator: String, Sendable, Hashable, CaseIterable {
    case eq, ne, `in`, nin, gt, gte, lt, lte, exists, contains
}

/// A value a memory holds for a field, or an operand.
public enum FilterValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    /// Tags, or an attribute's array (its scalar elements): a condition holds
    /// when it holds for an element (`ne`/`nin`: for none; `exists`: non-empty).
    case list([FilterValue])
    /// An attribute holding an object: it exists, and equals nothing.
    case other

    /// A stored attribute's value as the filter sees it (null: no value).
    public init?(attribute value: JSONValue) {
        switch value {
        case .null: return nil
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        case .array(let items): self = .list(items.map { FilterValue(scalar: $0) ?? .other })
        case .object: self = .other
        }
    }

    /// A string, number or boolean; nil for anything else.
    init?(scalar value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .number(Double(i))
        case .double(let d): self = .number(d)
        default: return nil
        }
    }

    /// Equality as SQLite sees it: strings byte for byte, numbers by value, no cross-type matches.
    func equals(_ other: FilterValue) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)): a.utf8.elementsEqual(b.utf8)
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        default: false
        }
    }
}

/// One test: `field op operand`.
public struct FilterCondition: Sendable, Hashable {
    public var field: FilterField
    public var op: FilterOperator
    /// A scalar for eq/ne/gt/gte/lt/lte/contains, a `.list` for in/nin, a `.bool` for exists.
    public var operand: FilterValue

    public init(_ field: FilterField, _ op: FilterOperator, _ operand: FilterValue) {
        self.field = field
        self.op = op
        self.operand = operand
    }

    /// Whether a memory whose field holds `value` (nil: none) passes.
    public func matches(_ value: FilterValue?) -> Bool {
        switch op {
        case .exists:
            let present: Bool
            switch value {
            case nil: present = false
            case .list(let items)?: present = !items.isEmpty
            default: present = true
            }
            return present == (operand == .bool(true))
        case .ne: return !FilterCondition(field, .eq, operand).matches(value)
        case .nin: return !FilterCondition(field, .in, operand).matches(value)
        case .in:
            guard case .list(let options) = operand else { return false }
            return options.contains { FilterCondition(field, .eq, $0).matches(value) }
        case .eq, .gt, .gte, .lt, .lte, .contains:
            guard let value else { return false }
            if case .list(let items) = value {
                // A list contains an element equal to the operand; other tests hold for some element.
                return op == .contains ? items.contains { $0.equals(operand) } : items.contains { test($0) }
            }
            return test(value)
        }
    }

    /// eq/gt/gte/lt/lte/contains on one scalar.
    private func test(_ value: FilterValue) -> Bool {
        switch op {
        case .eq: return value.equals(operand)
        case .contains:
            guard case .string(let text) = value, case .string(let part) = operand else { return false }
            return Self.bytes(Array(text.utf8), contain: Array(part.utf8))
        case .gt, .gte, .lt, .lte:
            guard case .number(let a) = value, case .number(let b) = operand else { return false }
            switch op {
            case .gt: return a > b
            case .gte: return a >= b
            case .lt: return a < b
            default: return a <= b
            }
        default: return false
        }
    }

    /// Substring by bytes, as SQLite's instr() finds it (the empty string is in every string).
    static func bytes(_ text: [UInt8], contain part: [UInt8]) -> Bool {
        guard !part.isEmpty else { return true }
        guard part.count <= text.count else { return false }
        for start in 0...(text.count - part.count) where text[start] == part[0] {
            if text[start..<(start + part.count)].elementsEqual(part) { return true }
        }
        return false
    }
}

/// Something a filter can be evaluated on: a stored memory, or what an
/// index keeps of one.
public protocol FilterSubject {
    /// The field's value; nil when the memory has none.
    func filterValue(_ field: FilterField) -> FilterValue?
}

extension FilterSubject {
    /// The value of a field every subject computes the same way from its parts.
    static func value(
        _ field: FilterField, tags: [String], agent: String?, session: String?, speaker: String?, kind: Kind, tier: Tier,
        state: CubeState, importance: Double, version: Int, createdAt: Timestamp, occurredAt: Timestamp?,
        validFrom: Timestamp?, validTo: Timestamp?, expiresAt: Timestamp?, attributes: [String: JSONValue]
    ) -> FilterValue? {
        func time(_ t: Timestamp?) -> FilterValue? { t.map { .number(Double($0.millis)) } }
        switch field {
        case .tags: return .list(tags.map(FilterValue.string))
        case .agent: return agent.map(FilterValue.string)
        case .session: return session.map(FilterValue.string)
        case .speaker: return speaker.map(FilterValue.string)
        case .kind: return .string(kind.rawValue)
        case .tier: return .string(tier.rawValue)
        case .state: return .string(state.rawValue)
        case .importance: return .number(importance)
        case .version: return .number(Double(version))
        case .createdAt: return time(createdAt)
        case .occurredAt: return time(occurredAt)
        case .validFrom: return time(validFrom)
        case .validTo: return time(validTo)
        case .expiresAt: return time(expiresAt)
        case .attribute(let key): return attributes[key].flatMap(FilterValue.init(attribute:))
        }
    }
}

extension MemCube: FilterSubject {
    public func filterValue(_ field: FilterField) -> FilterValue? {
        Self.value(
            field, tags: tags, agent: agent, session: session, speaker: speaker, kind: kind, tier: tier, state: state,
            importance: importance, version: version, createdAt: createdAt, occurredAt: occurredAt, validFrom: validFrom,
            validTo: validTo, expiresAt: expiresAt, attributes: attributes)
    }
}
