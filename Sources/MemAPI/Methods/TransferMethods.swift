import MemCube
import MemJSON

// memory.export, memory.import: whole memories out and in (docs/transfer.md).

/// `memory.export`: a namespace's memories with every version, provenance,
/// entities, payloads, then its links, one page at a time. The records are
/// the JSON Lines `memctl export` writes.
public enum MemoryExport: RPCMethod {
    public static let name = "memory.export"
    public static let access = MethodAccess.read

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        /// From the previous page's `cursor`.
        public var cursor: String?
        /// Records per page (default 100, at most 1000; fewer when payloads are large).
        public var limit: Int?
        /// Include payload bytes (base64) of activation and parameter memories (default true).
        public var payloads: Bool?

        public init(namespace: String, cursor: String? = nil, limit: Int? = nil, payloads: Bool? = nil) {
            self.namespace = namespace
            self.cursor = cursor
            self.limit = limit
            self.payloads = payloads
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, cursor, limit, payloads }
    }

    public struct Result: Codable, Sendable, Hashable {
        /// `{"type": "header"}` first, then `memory` records, then `link` records.
        public var records: [JSONValue]
        /// Absent on the last page.
        public var cursor: String?

        public init(records: [JSONValue], cursor: String?) {
            self.records = records
            self.cursor = cursor
        }
    }
}

/// `memory.import`: stores exported records (`format` `memos`, the default)
/// with their ids and histories, or a Mem0 export's memories (`mem0`) as new
/// memories. Idempotent: a memory already stored is skipped.
public enum MemoryImport: RPCMethod {
    public static let name = "memory.import"
    public static let access = MethodAccess.write

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var records: [JSONValue]
        /// `memos` (default) or `mem0`.
        public var format: String?
        public var agent: String?

        public init(namespace: String, records: [JSONValue], format: String? = nil, agent: String? = nil) {
            self.namespace = namespace
            self.records = records
            self.format = format
            self.agent = agent
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespace, records, format, agent }
    }

    public struct Result: Codable, Sendable, Hashable {
        public var imported: Int
        /// Memories already stored (by id; Mem0: by its id), left as they are.
        public var skipped: Int
        public var links: Int
        /// Links whose ends are not both in the namespace (yet).
        public var linksSkipped: Int
        /// The ids of the memories stored.
        public var ids: [String]

        enum CodingKeys: String, CodingKey {
            case imported, skipped, links, ids
            case linksSkipped = "links_skipped"
        }

        public init(imported: Int, skipped: Int, links: Int, linksSkipped: Int, ids: [String]) {
            self.imported = imported
            self.skipped = skipped
            self.links = links
            self.linksSkipped = linksSkipped
            self.ids = ids
        }
    }
}
