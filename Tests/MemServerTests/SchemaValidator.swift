import Foundation
import MemCube
import MemJSON

/// A small JSON Schema (2020-12 subset) validator for the test suite: the
/// keywords schemas/memos.schema.json uses, nothing more.
struct SchemaValidator {
    let root: JSONValue

    /// Violations of `schema` by `value`, as "path: reason" strings.
    func errors(_ value: JSONValue, _ schema: JSONValue, path: String = "$") -> [String] {
        guard case .object(let s) = schema else { return [] }
        var errors: [String] = []
        if case .string(let ref)? = s["$ref"] {
            let name = String(ref.dropFirst("#/$defs/".count))
            guard let target = root["$defs"]?[name] else { return ["\(path): unknown $ref \(ref)"] }
            errors += self.errors(value, target, path: path)
        }
        if let type = s["type"] {
            let allowed: [String] = switch type {
            case .string(let t): [t]
            case .array(let ts): ts.compactMap(\.stringValue)
            default: []
            }
            if !allowed.contains(where: { matches(value, type: $0) }) {
                return errors + ["\(path): \(value.typeName) is not \(allowed.joined(separator: "|"))"]
            }
        }
        if case .array(let options)? = s["enum"], !options.contains(where: { equal($0, value) }) {
            errors.append("\(path): not one of the allowed values")
        }
        if let number = numeric(value) {
            if let min = s["minimum"].flatMap(numeric), number < min { errors.append("\(path): below minimum \(min)") }
            if let max = s["maximum"].flatMap(numeric), number > max { errors.append("\(path): above maximum \(max)") }
            if let min = s["exclusiveMinimum"].flatMap(numeric), number <= min { errors.append("\(path): not above \(min)") }
        }
        if case .string(let text) = value {
            if let min = s["minLength"].flatMap(numeric), Double(text.count) < min { errors.append("\(path): shorter than \(min)") }
            if let max = s["maxLength"].flatMap(numeric), Double(text.count) > max { errors.append("\(path): longer than \(max)") }
            if case .string(let pattern)? = s["pattern"],
               text.range(of: pattern, options: .regularExpression) == nil { errors.append("\(path): does not match \(pattern)") }
            if s["format"] == .string("date-time"), Timestamp(iso8601: text) == nil { errors.append("\(path): not a date-time") }
        }
        if case .array(let items) = value {
            if let min = s["minItems"].flatMap(numeric), Double(items.count) < min { errors.append("\(path): fewer than \(min) items") }
            if let max = s["maxItems"].flatMap(numeric), Double(items.count) > max { errors.append("\(path): more than \(max) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { errors += self.errors(item, itemSchema, path: "\(path)[\(i)]") }
            }
        }
        if case .object(let object) = value {
            let properties = s["properties"]?.objectValue ?? [:]
            if case .array(let required)? = s["required"] {
                for key in required.compactMap(\.stringValue) where object[key] == nil {
                    errors.append("\(path): missing required \(key)")
                }
            }
            if let min = s["minProperties"].flatMap(numeric), Double(object.count) < min {
                errors.append("\(path): fewer than \(min) properties")
            }
            let patterns = s["patternProperties"]?.objectValue ?? [:]
            for (key, child) in object {
                let patterned = patterns.filter { key.range(of: $0.key, options: .regularExpression) != nil }
                if let propertySchema = properties[key] {
                    errors += self.errors(child, propertySchema, path: "\(path).\(key)")
                } else if !patterned.isEmpty {
                    for (_, schema) in patterned { errors += self.errors(child, schema, path: "\(path).\(key)") }
                } else if s["additionalProperties"] == .bool(false) {
                    errors.append("\(path): unexpected property \(key)")
                } else if case .object? = s["additionalProperties"] {
                    errors += self.errors(child, s["additionalProperties"]!, path: "\(path).\(key)")
                }
            }
        }
        if case .array(let options)? = s["anyOf"], !options.contains(where: { self.errors(value, $0, path: path).isEmpty }) {
            errors.append("\(path): matches none of anyOf")
        }
        if case .array(let options)? = s["oneOf"], options.filter({ self.errors(value, $0, path: path).isEmpty }).count != 1 {
            errors.append("\(path): does not match exactly one of oneOf")
        }
        return errors
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): true
        case ("integer", .int): true
        case ("integer", .double(let d)): d.rounded() == d
        case ("number", .int), ("number", .double): true
        default: false
        }
    }

    private func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    private func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = numeric(a), let y = numeric(b) { return x == y }
        return a == b
    }
}
