import Foundation
import MemAPI
import MemCube
import MemJSON

/// Decodes a method's params from the request's JSON value, turning every
/// decoding failure into a `ValidationError` that names the field.
enum ParamsDecoding {
    static let decoder = JSONValueDecoder()

    static func decode<M: RPCMethod>(_ method: M.Type, from params: JSONValue?) throws -> M.Params {
        let value: JSONValue
        switch params {
        case nil, .null?:
            value = .object([:])
        case .object(let object)?:
            if let unknown = object.keys.sorted().first(where: { !M.paramKeys.contains($0) }) {
                throw ValidationError(field: unknown, "is not a parameter of \(M.name)\(suggestion(unknown, M.paramKeys))")
            }
            value = .object(object)
        case let other?:
            throw RPCError(.invalidParams, "params must be an object, not \(other.typeName)", field: "params")
        }
        do {
            return try decoder.decode(M.Params.self, from: value)
        } catch let error as DecodingError {
            throw validationError(error)
        }
    }

    /// Rejects keys of a nested object that are not in `allowed`.
    static func checkKeys(_ value: JSONValue?, allowed: Set<String>, field: String) throws(ValidationError) {
        guard let object = value?.objectValue else { return }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError(field: "\(field).\(unknown)", "is not a known field\(suggestion(unknown, allowed))")
        }
    }

    static func validationError(_ error: DecodingError) -> ValidationError {
        switch error {
        case .typeMismatch(let type, let context):
            return ValidationError(field: path(context.codingPath), "must be \(jsonType(type))")
        case .valueNotFound(let type, let context):
            return ValidationError(field: path(context.codingPath), "must be \(jsonType(type)), not null")
        case .keyNotFound(let key, let context):
            return ValidationError(field: path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context):
            return ValidationError(field: path(context.codingPath), context.debugDescription)
        @unknown default:
            return ValidationError(field: "", "is not valid")
        }
    }

    /// `items[2].importance` from a coding path.
    static func path(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    static func jsonType(_ type: Any.Type) -> String {
        if type is String.Type || type is Timestamp.Type || type is CubeID.Type { return "a string" }
        if type is Bool.Type { return "true or false" }
        if type is Int.Type || type is Int64.Type { return "an integer" }
        if type is Double.Type || type is Float.Type { return "a number" }
        return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
    }

    /// " (did you mean 'tags'?)" for a near miss.
    static func suggestion(_ key: String, _ allowed: Set<String>) -> String {
        let best = allowed.map { ($0, editDistance(key, $0)) }.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        guard let best, best.1 <= 2 else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
