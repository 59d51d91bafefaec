import MemCube
import MemJSON

// memory.ingest: a conversation in, memories out (docs/conversations.md).

/// `memory.ingest`: each message of a conversation becomes a memory with its
/// speaker, time, session and message id; tool and system messages are
/// skipped unless `roles` names them; a long message is split at sentence
/// ends into linked parts; a message sent again (same id, or the same
/// content, speaker, time and session) is not stored twice. With `extract`
/// and memosd's `--chat-url`, facts an LLM finds in the turns are stored too,
/// derived from them.
public enum MemoryIngest: RPCMethod {
    public static let name = "memory.ingest"
    public static let access = MethodAccess.write

    public struct Message: Codable, Sendable, Hashable {
        public static let keys = codingKeyNames(CodingKeys.self)
        /// `user`, `assistant`, `system`, `tool`... (any role; only `roles` are kept).
        public var role: String
        /// The speaker's name; the role stands in when absent.
        public var name: String?
        public var content: String
        /// When it was said (ISO 8601): the memory's `occurred_at`.
        public var timestamp: Timestamp?
        /// The message's id in the client's conversation (`source.message_id`): sending it again is a no-op.
        public var id: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case role, name, content, timestamp, id }

        public init(role: String, name: String? = nil, content: String, timestamp: Timestamp? = nil, id: String? = nil) {
            self.role = role
            self.name = name
            self.content = content
            self.timestamp = timestamp
            self.id = id
        }
    }

    public struct Params: WireParams, NamespacedParams {
        public static let keys = codingKeyNames(CodingKeys.self)
        public var namespace: String
        public var session: String?
        public var agent: String?
        public var messages: [Message]
        /// Roles whose messages are stored (default `user`, `assistant`).
        public var roles: [String]?
        public var tags: [String]?
        /// A message longer than this many characters is split at sentence ends (default 2000; 200 to 16000).
        public var splitChars: Int?
        /// Also store facts the chat endpoint (memosd `--chat-url`) extracts from the turns.
        public var extract: Bool?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case namespace, session, agent, messages, roles, tags, extract
            case splitChars = "split_chars"
        }

        public init(
            namespace: String, session: String? = nil, agent: String? = nil, messages: [Message], roles: [String]? = nil,
            tags: [String]? = nil, splitChars: Int? = nil, extract: Bool? = nil
        ) {
            self.namespace = namespace
            self.session = session
            self.agent = agent
            self.messages = messages
            self.roles = roles
            self.tags = tags
            self.splitChars = splitChars
            self.extract = extract
        }
    }

    /// What became of one message.
    public struct Outcome: Codable, Sendable, Hashable {
        public var index: Int
        /// `stored`, `duplicate` (stored before) or `skipped` (its role is not kept).
        public var status: String
        /// The memories it became (several when split), in order.
        public var ids: [String]

        public init(index: Int, status: String, ids: [String]) {
            self.index = index
            self.status = status
            self.ids = ids
        }
    }

    public struct Result: Codable, Sendable, Hashable {
        /// Every memory stored, in order (parts of a split message, then facts).
        public var ids: [String]
        public var messages: [Outcome]
        public var stored: Int
        public var duplicates: Int
        public var skipped: Int
        /// With `extract`: the facts stored.
        public var facts: [String]?

        public init(ids: [String], messages: [Outcome], stored: Int, duplicates: Int, skipped: Int, facts: [String]?) {
            self.ids = ids
            self.messages = messages
            self.stored = stored
            self.duplicates = duplicates
            self.skipped = skipped
            self.facts = facts
        }
    }
}
