import MemCube

/// The SQL form of `CubeFilter` (table alias `c`), for list and bulk forget.
/// Every condition of the expression is made two-valued (`coalesce(…, 0)`),
/// so `not` means what `FilterExpression.matches` means when a value is missing.
enum FilterSQL {
    static func append(_ filter: CubeFilter, now: Timestamp, to sql: inout String, _ values: inout [SQLValue]) {
        switch filter.states {
        case .any: break
        case .active, .superseded, .forgotten:
            sql += " AND c.state = ?"
            values.append(.text(filter.states.rawValue))
        }
        if filter.states == .active || filter.states == .any {
            sql += " AND (c.state != 'active' OR c.expires_at IS NULL OR c.expires_at > ?)"
            values.append(.int(now.millis))
        }
        for (column, value) in [("c.agent", filter.agent), ("c.session", filter.session), ("c.speaker", filter.speaker)] {
            guard let value else { continue }
            sql += " AND \(column) = ?"
            values.append(.text(value))
        }
        if let since = filter.since {
            sql += " AND coalesce(c.occurred_at, c.created_at) >= ?"
            values.append(.int(since.millis))
        }
        if let until = filter.until {
            sql += " AND coalesce(c.occurred_at, c.created_at) <= ?"
            values.append(.int(until.millis))
        }
        if let kind = filter.kind {
            sql += " AND c.kind = ?"
            values.append(.text(kind.rawValue))
        }
        if let model = filter.model {
            sql += " AND json_extract(c.content, '$.model') = ?"
            values.append(.text(model))
        }
        if let tier = filter.tier {
            sql += " AND c.tier = ?"
            values.append(.text(tier.rawValue))
        }
        for tag in filter.tags {
            sql += " AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)"
            values.append(.text(tag))
        }
        if let expression = filter.expression {
            sql += " AND "
            compile(expression, into: &sql, &values)
        }
    }

    static func compile(_ expression: FilterExpression, into sql: inout String, _ values: inout [SQLValue]) {
        switch expression {
        case .all(let parts), .any(let parts):
            guard !parts.isEmpty else {
                sql += { if case .all = expression { "1" } else { "0" } }()
                return
            }
            let joiner: String = { if case .all = expression { " AND " } else { " OR " } }()
            sql += "("
            for (i, part) in parts.enumerated() {
                if i > 0 { sql += joiner }
                compile(part, into: &sql, &values)
            }
            sql += ")"
        case .not(let inner):
            sql += "NOT "
            compile(inner, into: &sql, &values)
        case .condition(let condition):
            sql += "coalesce("
            self.condition(condition, into: &sql, &values)
            sql += ", 0)"
        }
    }

    /// One condition; may be NULL when the value is missing (the caller coalesces).
    private static func condition(_ condition: FilterCondition, into sql: inout String, _ values: inout [SQLValue]) {
        let op = condition.op, operand = condition.operand
        switch op {
        case .ne, .nin:
            sql += "NOT coalesce("
            self.condition(FilterCondition(condition.field, op == .ne ? .eq : .in, operand), into: &sql, &values)
            sql += ", 0)"
            return
        case .in:
            guard case .list(let options) = operand else { sql += "0"; return }
            sql += "("
            for (i, option) in options.enumerated() {
                if i > 0 { sql += " OR " }
                sql += "coalesce("
                self.condition(FilterCondition(condition.field, .eq, option), into: &sql, &values)
                sql += ", 0)"
            }
            sql += ")"
            return
        default: break
        }
        switch condition.field {
        case .tags:
            switch op {
            case .exists:
                sql += operand == .bool(true) ? "json_array_length(c.tags) > 0" : "coalesce(json_array_length(c.tags), 0) = 0"
            default:  // eq, contains: one tag equals the operand
                sql += "EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)"
                values.append(bind(operand))
            }
        case .attribute(let name):
            attribute(name, op, operand, into: &sql, &values)
        default:
            let column = self.column(condition.field)
            switch op {
            case .exists: sql += operand == .bool(true) ? "\(column) IS NOT NULL" : "\(column) IS NULL"
            case .contains: sql += "instr(\(column), ?) > 0"
            case .eq: sql += "\(column) = ?"
            case .gt: sql += "\(column) > ?"
            case .gte: sql += "\(column) >= ?"
            case .lt: sql += "\(column) < ?"
            default: sql += "\(column) <= ?"
            }
            if op != .exists { values.append(bind(operand)) }
        }
    }

    /// An attribute test: on the value, or on any element when it is an array
    /// (`contains` on an array: an element equals the operand).
    private static func attribute(
        _ name: String, _ op: FilterOperator, _ operand: FilterValue, into sql: inout String, _ values: inout [SQLValue]
    ) {
        let path = SQLValue.text("$.\"\(name)\"")
        if op == .exists {
            let present = "(json_type(c.attributes, ?) IS NOT NULL AND json_type(c.attributes, ?) != 'null'"
                + " AND (json_type(c.attributes, ?) != 'array' OR json_array_length(c.attributes, ?) > 0))"
            sql += operand == .bool(true) ? present : "NOT coalesce(\(present), 0)"
            values += [path, path, path, path]
            return
        }
        sql += "(CASE json_type(c.attributes, ?) WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(c.attributes, ?) j WHERE "
        values += [path, path]
        scalar(type: "j.type", value: "j.value", op == .contains ? .eq : op, operand, into: &sql, &values)
        sql += ") ELSE "
        scalar(type: "json_type(c.attributes, ?)", value: "json_extract(c.attributes, ?)", op, operand, into: &sql, &values, path: path)
        sql += " END)"
    }

    /// A typed test of one JSON scalar given SQL expressions for its type and value.
    private static func scalar(
        type: String, value: String, _ op: FilterOperator, _ operand: FilterValue, into sql: inout String, _ values: inout [SQLValue],
        path: SQLValue? = nil
    ) {
        // Each `?` inside `type` or `value` is the JSON path (top-level case only).
        func typeSQL() -> String {
            if let path { values.append(path) }
            return type
        }
        func valueSQL() -> String {
            if let path { values.append(path) }
            return value
        }
        switch (op, operand) {
        case (.eq, .bool(let flag)):
            sql += "\(typeSQL()) = '\(flag ? "true" : "false")'"
        case (.eq, .string(let text)):
            sql += "(\(typeSQL()) = 'text' AND \(valueSQL()) = ?)"
            values.append(.text(text))
        case (.contains, .string(let text)):
            sql += "(\(typeSQL()) = 'text' AND instr(\(valueSQL()), ?) > 0)"
            values.append(.text(text))
        case (.eq, .number(let n)), (.gt, .number(let n)), (.gte, .number(let n)), (.lt, .number(let n)), (.lte, .number(let n)):
            let symbol = ["eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="][op.rawValue]!
            sql += "(\(typeSQL()) IN ('integer', 'real') AND \(valueSQL()) \(symbol) ?)"
            values.append(.double(n))
        default:
            sql += "0"  // contains with a number or boolean on a scalar, and the like: never true
        }
    }

    private static func column(_ field: FilterField) -> String {
        switch field {
        case .agent: "c.agent"
        case .session: "c.session"
        case .speaker: "c.speaker"
        case .kind: "c.kind"
        case .tier: "c.tier"
        case .state: "c.state"
        case .importance: "c.importance"
        case .version: "c.version"
        case .createdAt: "c.created_at"
        case .occurredAt: "c.occurred_at"
        case .validFrom: "c.valid_from"
        case .validTo: "c.valid_to"
        case .expiresAt: "c.expires_at"
        case .tags, .attribute: "NULL"
        }
    }

    private static func bind(_ value: FilterValue) -> SQLValue {
        switch value {
        case .string(let s): .text(s)
        case .number(let n): .double(n)
        case .bool(let b): .int(b ? 1 : 0)
        case .list, .other: .null
        }
    }
}
