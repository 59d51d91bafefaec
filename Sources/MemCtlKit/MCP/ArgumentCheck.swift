import MemJSON

/// Checks a tool's arguments against its input schema — the same JSON
/// Schema `tools/list` shows, so the two never disagree. It knows the
/// subset the tools use: `type` (object, array, string, integer, number,
/// boolean), `properties`, `required`, `additionalProperties: false`,
/// `items`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `maxItems`.
/// The first problem is reported with its path (`messages[2].content`).
enum ArgumentCheck {
    static func problem(_ value: JSONValue, against schema: JSONValue, at path: String = "") -> String? {
        let name = path.isEmpty ? "the arguments" : path
        if case .array(let choices)? = schema["enum"], !choices.contains(value) {
            return "\(name) must be one of \(choices.compactMap(\.stringValue).joined(separator: ", "))"
        }
        switch schema["type"]?.stringValue {
        case "object"?:
            guard case .object(let object) = value else { return "\(name) must be an object" }
            let properties = schema["properties"]?.objectValue ?? [:]
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[required] == nil {
                return "\(join(path, required)) is required"
            }
            for key in object.keys.sorted() {
                guard let property = properties[key] else {
                    if schema["additionalProperties"] == .bool(false) {
                        return "\(join(path, key)) is not an argument of this tool; it takes \(properties.keys.sorted().joined(separator: ", "))"
                    }
                    continue
                }
                if let problem = problem(object[key] ?? .null, against: property, at: join(path, key)) { return problem }
            }
        case "array"?:
            guard case .array(let items) = value else { return "\(name) must be an array" }
            if let most = schema["maxItems"]?.intValue, items.count > most { return "\(name) holds \(items.count) items; at most \(most)" }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() {
                    if let problem = problem(item, against: itemSchema, at: "\(name)[\(i)]") { return problem }
                }
            }
        case "string"?:
            guard case .string(let text) = value else { return "\(name) must be a string" }
            if let least = schema["minLength"]?.intValue, text.count < least { return "\(name) must not be empty" }
            if let most = schema["maxLength"]?.intValue, text.count > most { return "\(name) is longer than \(most) characters" }
        case "integer"?:
            guard case .int(let number) = value else { return "\(name) must be an integer" }
            if let least = schema["minimum"]?.intValue, number < Int64(least) { return "\(name) must be at least \(least)" }
            if let most = schema["maximum"]?.intValue, number > Int64(most) { return "\(name) must be at most \(most)" }
        case "number"?:
            guard let number = value.doubleValue, number.isFinite else { return "\(name) must be a number" }
            if let least = schema["minimum"]?.doubleValue, number < least { return "\(name) must be at least \(least)" }
            if let most = schema["maximum"]?.doubleValue, number > most { return "\(name) must be at most \(most)" }
        case "boolean"?:
            guard case .bool = value else { return "\(name) must be true or false" }
        default:
            break
        }
        return nil
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
}
