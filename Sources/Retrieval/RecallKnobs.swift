/// Recall's experiment knobs by name, as the benchmarks take them
/// (`memos-eval --rerank "speaker=0.2,feedback=0.3"`, `memos-bench store
/// --rerank ...`): each `name=value` is a `Rerank` knob (`Rerank.set`) or a
/// keyword-index one (`KeywordIndex.Parameters.set`).
public struct RecallKnobs: Sendable {
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public var rerank = Rerank()
    public var keywords: KeywordIndex.Parameters
    /// A keyword-index knob was named: the variant needs its own index.
    public private(set) var changesKeywords = false

    /// `text`: comma-separated `name=value` pairs, over these keyword parameters.
    public init(_ text: some StringProtocol, keywords: KeywordIndex.Parameters = KeywordIndex.Parameters()) throws(ParseError) {
        self.keywords = keywords
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw ParseError(description: "knob=value expected, got '\(pair)'")
            }
            if self.keywords.set(String(parts[0]), value) {
                changesKeywords = true
            } else if !rerank.set(String(parts[0]), value) {
                throw ParseError(description: "unknown knob '\(parts[0])'")
            }
        }
    }
}
