import Foundation

/// The words keyword search indexes and looks up: maximal runs of letters
/// and digits, lower-cased, diacritics removed ("Café" → "cafe"); the index
/// stems them with `PorterStemmer`.
public enum KeywordTerms {
    public static func words(_ text: String) -> [String] {
        TextTokens.asciiWords(text) ?? unicodeWords(text)
    }

    /// The general case: letters and digits of any script. After canonical
    /// decomposition the combining diacritical marks (U+0300–U+036F) are
    /// dropped; other scripts' marks stay part of their words.
    static func unicodeWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            if (0x300...0x36F).contains(scalar.value) { continue }
            let properties = scalar.properties
            if properties.isAlphabetic || properties.generalCategory == .nonspacingMark || properties.generalCategory == .spacingMark || properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words.map { $0.precomposedStringWithCanonicalMapping }
    }
}
