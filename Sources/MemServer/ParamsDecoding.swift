import Foundation
import MemAPI
import MemCube
import MemJSON

/// Decodes a method's params from the request's JSON value, turning every
/// decoding failure into a `ValidationError` that names the field.
enum ParamsDecoding {
    static let decoder = JSONValueDecoder(rejectUnknownKeys: true)

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
    static func suggestion(_ key: String, _ allowed: Set<String>) -> String { KeySuggestion.text(key, allowed) }
}
