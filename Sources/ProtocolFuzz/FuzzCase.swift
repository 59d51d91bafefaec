import MemAPI
import MemJSON

/// One frame the fuzzer sends, and what a correct memosd answers to it.
public struct FuzzCase: Sendable {
    public enum Expect: Sendable, Equatable {
        /// An error with one of these names (`error.data.name`).
        case error(Set<String>)
        /// A result, or any documented error except `internal_error`.
        case anyDocumented
    }

    /// What kind of frame this is (for the report: "random-bytes", "mutation", ...).
    public var label: String
    /// The bytes of the line, without its newline.
    public var frame: [UInt8]
    public var expect: Expect
    /// The request's method, when the frame is a request object with one.
    public var method: String?
    /// The request's id, when it has a valid one (a reply must echo it).
    public var id: JSONValue?
    /// A frame that may legitimately get no reply (a notification): the
    /// runner follows it with a probe request to know when memosd is done.
    public var mayGoUnanswered = false

    public init(label: String, frame: [UInt8], expect: Expect, method: String? = nil, id: JSONValue? = nil) {
        self.label = label
        self.frame = frame
        self.expect = expect
        self.method = method
        self.id = id
    }
}

/// The error names memosd may send: the documented codes.
enum DocumentedErrors {
    static let names = Set(ErrorCode.allCases.map(\.name))
    static let codes = Set(ErrorCode.allCases.map(\.rawValue))

    /// Methods whose success must leave the stored data as it was.
    static let readOnly: Set<String> = [
        MemoryRecall.name, MemoryGet.name, MemoryHistory.name, MemoryList.name, GraphNeighbors.name,
        SchedulerStatus.name, ConsolidateStatus.name, ConsolidateReport.name, SystemHealth.name, SystemStats.name,
    ]

    /// Swift's own spellings, which must never reach a client.
    static let debugText = [
        "Optional(", "int(", "double(", "string(", "bool(", "array(", "object(", "Swift.", "DecodingError", "CodingKeys",
        "Index ", "Foundation.", "Error Domain", "NSCocoaErrorDomain", "(extension in", "JSONValue",
    ]
}
