import Foundation

/// The BERT uncased tokenizer, as the reference (HuggingFace `BertTokenizer`,
/// `do_lower_case=True`) does it: clean the text, put spaces around CJK
/// ideographs, split on whitespace, lower-case and strip accents, split off
/// punctuation, then greedy longest-match WordPiece with `##` continuations.
///
/// Thread-safe (immutable after init). Cost: O(characters × longest piece).
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    public let paddingID: Int32
    /// Longer words become a single [UNK], as in the reference.
    public let maxCharactersPerWord = 100

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case missingSpecialToken(String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read the vocabulary \(path): \(reason)"
            case .missingSpecialToken(let token): "the vocabulary has no \(token) token"
            }
        }
    }

    /// Loads `vocab.txt`: one token per line, the line number is its id.
    public init(vocabularyFile path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError.unreadable(path, error.localizedDescription)
        }
        var vocabulary: [String: Int32] = [:]
        var id: Int32 = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty, vocabulary[token] == nil { vocabulary[token] = id }
            id += 1
        }
        try self.init(vocabulary: vocabulary)
    }

    public init(vocabulary: [String: Int32]) throws {
        func special(_ token: String) throws -> Int32 {
            guard let id = vocabulary[token] else { throw LoadError.missingSpecialToken(token) }
            return id
        }
        self.vocabulary = vocabulary
        unknownID = try special("[UNK]")
        classID = try special("[CLS]")
        separatorID = try special("[SEP]")
        paddingID = try special("[PAD]")
    }

    /// WordPiece ids of `text`, without [CLS]/[SEP] and without truncation.
    public func pieces(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in basicTokens(text) {
            ids.append(contentsOf: wordPieces(word))
        }
        return ids
    }

    /// `[CLS] pieces [SEP]`, the pieces cut to `maxLength - 2`.
    public func encode(_ text: String, maxLength: Int = 256) -> [Int32] {
        [classID] + pieces(text).prefix(maxLength - 2) + [separatorID]
    }

    // MARK: - Basic tokenization

    func basicTokens(_ text: String) -> [String] {
        // Clean: drop NUL, U+FFFD and control characters; whitespace becomes a space;
        // CJK ideographs get spaces around them.
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let normalized = String(cleaned).precomposedStringWithCanonicalMapping
        var tokens: [String] = []
        for word in normalized.split(separator: " ", omittingEmptySubsequences: true) {
            let stripped = Self.stripAccents(word.lowercased())
            // Split off punctuation: every punctuation character is a token of its own.
            var current = String.UnicodeScalarView()
            for scalar in stripped.unicodeScalars {
                if Self.isPunctuation(scalar) {
                    if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
                    tokens.append(String(scalar))
                } else if Self.isWhitespace(scalar) {
                    if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
                } else {
                    current.append(scalar)
                }
            }
            if !current.isEmpty { tokens.append(String(current)) }
        }
        return tokens
    }

    /// NFD, then drop combining marks (category Mn): "café" -> "cafe".
    static func stripAccents(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            out.append(scalar)
        }
        return String(out)
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    // MARK: - WordPiece

    func wordPieces(_ word: String) -> [Int32] {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > maxCharactersPerWord { return [unknownID] }
        var ids: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                var piece = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            ids.append(id)
            start = end
        }
        return ids
    }
}
