import MemAPI
import MemCube
import MemJSON
import MemStore

/// memory.ingest: a conversation's messages become memories through
/// `add` (one batch, one transaction); splitting is `SentenceSplitter`'s,
/// fact extraction the chat endpoint's (`ChatSummarizer`).
extension MemoryService {
    static let defaultIngestRoles: Set<String> = ["user", "assistant"]

    func ingest(_ params: MemoryIngest.Params, _ context: RequestContext) throws -> MemoryIngest.Result {
        try limits.checkName(params.namespace, field: "namespace")
        if let session = params.session { try limits.checkName(session, field: "session") }
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        if let tags = params.tags { try limits.checkTags(tags, field: "tags") }
        guard !params.messages.isEmpty else { throw ValidationError(field: "messages", "must hold at least one message") }
        guard params.messages.count <= limits.maxBatchItems else {
            throw RPCError(.payloadTooLarge, "messages holds \(params.messages.count); one request may ingest at most \(limits.maxBatchItems)",
                           field: "params.messages", limit: limits.maxBatchItems)
        }
        let splitChars = params.splitChars ?? 2000
        guard (200...16_000).contains(splitChars) else { throw ValidationError(field: "split_chars", "must be between 200 and 16000 (got \(splitChars))") }
        var roles = Self.defaultIngestRoles
        if let given = params.roles {
            for (i, role) in given.enumerated() { try limits.checkName(role, field: "roles[\(i)]") }
            roles = Set(given)
        }
        if params.extract == true, chat == nil {
            throw ValidationError(field: "extract", "needs a chat endpoint: start memosd with --chat-url (the turns alone are stored without it)")
        }

        // Each message checked, then its identity: the client's id, else a digest of what it says.
        var digests: [String] = []
        for (i, message) in params.messages.enumerated() {
            let field = "messages[\(i)]"
            try limits.checkName(message.role, field: "\(field).role")
            if let name = message.name { try limits.checkSpeaker(name, field: "\(field).name") }
            if let id = message.id {
                guard (1...256).contains(id.utf8.count) else { throw ValidationError(field: "\(field).id", "must be 1 to 256 bytes") }
            }
            guard !message.content.allSatisfy(\.isWhitespace) || !roles.contains(message.role) else {
                throw ValidationError(field: "\(field).content", "is empty")
            }
            guard message.content.utf8.count <= 1 << 20 else { throw ValidationError(field: "\(field).content", "is longer than 1 MiB") }
            let identity = [params.session ?? "", message.role, message.name ?? "", message.timestamp?.iso8601 ?? "", message.content]
                .joined(separator: "\u{1f}")
            digests.append(String(SHA256.hex(Array(identity.utf8)).prefix(32)))
        }
        let seenIDs = try store.storedSourceValues(
            namespace: params.namespace, type: "chat", field: "message_id", values: params.messages.compactMap(\.id))
        let seenDigests = try store.storedSourceValues(namespace: params.namespace, type: "chat", field: "digest", values: digests)

        var items: [MemoryAdd.Item] = [], owners: [Int] = [], outcomes: [MemoryIngest.Outcome] = []
        var inRequest = Set<String>()
        for (i, message) in params.messages.enumerated() {
            guard roles.contains(message.role) else {
                outcomes.append(.init(index: i, status: "skipped", ids: []))
                continue
            }
            let key = message.id.map { "id:" + $0 } ?? "digest:" + digests[i]
            if message.id.map(seenIDs.contains) ?? seenDigests.contains(digests[i]) || !inRequest.insert(key).inserted {
                outcomes.append(.init(index: i, status: "duplicate", ids: []))
                continue
            }
            let parts = SentenceSplitter.parts(message.content, maxChars: splitChars)
            for (p, part) in parts.enumerated() {
                var source: [String: JSONValue] = ["type": "chat", "role": .string(message.role), "digest": .string(digests[i])]
                if let name = message.name { source["name"] = .string(name) }
                if let id = message.id { source["message_id"] = .string(id) }
                if parts.count > 1 {
                    source["part"] = .int(Int64(p + 1))
                    source["parts"] = .int(Int64(parts.count))
                }
                items.append(MemoryAdd.Item(
                    text: part, agent: params.agent, session: params.session, tags: params.tags, occurredAt: message.timestamp,
                    source: .object(source), speaker: message.name ?? message.role))
                owners.append(i)
            }
            outcomes.append(.init(index: i, status: "stored", ids: []))
        }
        guard items.count <= limits.maxBatchItems else {
            throw RPCError(.payloadTooLarge, "the messages split into \(items.count) parts; one request may store at most \(limits.maxBatchItems)",
                           field: "params.messages", limit: limits.maxBatchItems)
        }
        var ids: [String] = []
        if !items.isEmpty {
            let added = try add(MemoryAdd.Params(namespace: params.namespace, items: items), context)
            ids = added.ids ?? []
            for (id, owner) in zip(ids, owners) {
                if let slot = outcomes.firstIndex(where: { $0.index == owner }) { outcomes[slot].ids.append(id) }
            }
            // The parts of a split message, in order: part i continues into part i + 1.
            for outcome in outcomes where outcome.ids.count > 1 {
                for (from, to) in zip(outcome.ids, outcome.ids.dropFirst()) {
                    guard let a = CubeID(from), let b = CubeID(to) else { continue }
                    try store.link(
                        namespace: params.namespace, from: a, to: b, type: "continues", weight: 1,
                        provenance: provenance(.link, agent: params.agent, context: context), at: context.now)
                }
            }
        }
        var facts: [String]?
        if params.extract == true, let chat, !ids.isEmpty {
            let turns = zip(items, ids).map { item, _ in "\(item.speaker ?? "someone"): \(item.text ?? "")" }
            let extracted = try chat.extractFacts(turns).prefix(100).filter { $0.utf8.count <= limits.maxTextBytes }
            if !extracted.isEmpty {
                let factItems = extracted.map { fact in
                    MemoryAdd.Item(
                        text: fact, agent: params.agent, session: params.session, tags: params.tags,
                        occurredAt: items.compactMap(\.occurredAt).max(), source: ["type": "extracted"], derivedFrom: ids)
                }
                let added = try add(MemoryAdd.Params(namespace: params.namespace, items: Array(factItems)), context)
                ids += added.ids ?? []
                facts = Array(extracted)
            } else {
                facts = []
            }
        }
        return MemoryIngest.Result(
            ids: ids, messages: outcomes, stored: outcomes.filter { $0.status == "stored" }.count,
            duplicates: outcomes.filter { $0.status == "duplicate" }.count, skipped: outcomes.filter { $0.status == "skipped" }.count,
            facts: facts)
    }
}
