#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MemAPI
import MemCube

/// How memctl prints things: compact human lines, or JSON for scripts.
enum Output {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) -> String {
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Text on one line, cut to `width` characters with an ellipsis.
    static func oneLine(_ text: String?, width: Int = 100) -> String {
        let flat = (text ?? "∅").split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > width ? String(flat.prefix(width - 1)) + "…" : flat
    }

    /// `2023-05-08 13:56` for human output (UTC).
    static func time(_ t: Timestamp?) -> String {
        guard let t else { return "-" }
        let iso = t.iso8601
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5))
    }

    static func tags(_ tags: [String]) -> String {
        tags.isEmpty ? "" : "  " + tags.map { "#" + $0 }.joined(separator: " ")
    }

    /// "Dana: text" for a conversation turn, the text alone otherwise.
    static func spoken(_ text: String?, by speaker: String?, width: Int = 100) -> String {
        (speaker.map { $0 + ": " } ?? "") + oneLine(text, width: width)
    }

    static func memory(_ m: WireMemory) {
        var lines: [(String, String)] = [
            ("id", m.id), ("text", m.text ?? (m.content != nil ? "∅" : "∅ (purged)")), ("version", "\(m.version)"), ("state", m.state),
            ("tier", m.tier), ("importance", "\(m.importance)"),
        ]
        if !m.tags.isEmpty { lines.append(("tags", m.tags.joined(separator: ", "))) }
        if !m.attributes.isEmpty { lines.append(("attributes", json(m.attributes))) }
        if let speaker = m.speaker { lines.append(("speaker", speaker)) }
        if let agent = m.agent { lines.append(("agent", agent)) }
        if let session = m.session { lines.append(("session", session)) }
        if let occurred = m.occurredAt { lines.append(("occurred", occurred.iso8601)) }
        lines.append(("created", m.createdAt.iso8601))
        if m.updatedAt != m.createdAt { lines.append(("updated", m.updatedAt.iso8601)) }
        if let expires = m.expiresAt { lines.append(("expires", expires.iso8601)) }
        if let source = m.source { lines.append(("source", json(source))) }
        if !m.derivedFrom.isEmpty { lines.append(("derived from", m.derivedFrom.joined(separator: ", "))) }
        if let content = m.content {
            lines.append(("kind", m.kind))
            lines.append(("payload", "\(content.format), \(content.size) bytes, sha256 \(content.sha256.prefix(16))…"))
            lines.append(("model", content.model))
            if !content.meta.isEmpty { lines.append(("layout", json(content.meta))) }
        }
        lines.append(("access", "\(m.access.count)× last \(time(m.access.lastAccess))"))
        for (key, value) in lines {
            print(key.padding(12) + value)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
