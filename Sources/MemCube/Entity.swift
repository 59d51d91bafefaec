/// An entity mentioned by a text: its normalized key (what mentions are
/// matched on), how it appeared, and what kind of thing it is.
public struct Entity: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case name, phrase, date, number, email, url, handle, hashtag
    }

    /// Lower-cased, punctuation and possessive removed: "Caroline's" -> "caroline".
    public var key: String
    public var display: String
    public var kind: Kind

    public init(key: String, display: String, kind: Kind) {
        self.key = key
        self.display = display
        self.kind = kind
    }
}
