import Foundation
import MemAPI
import MemCube
import MemJSON
import MemStore

/// memory.export and memory.import: the records' wire form is here; rows
/// are copied in `SQLiteStore+Transfer`, indexed by `IndexedStore`.
extension MemoryService {
    static let exportFormat = "memos-export-1"
    /// A page stops growing once its payloads pass this many bytes.
    static let exportPagePayloadBytes = 8 << 20

    func export(_ params: MemoryExport.Params, _ context: RequestContext) throws -> MemoryExport.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let limit = params.limit ?? 100
        guard (1...limits.maxListLimit).contains(limit) else {
            throw ValidationError(field: "limit", "must be between 1 and \(limits.maxListLimit) (got \(limit))")
        }
        // The cursor: "m<rowid>" in the memories, "l<rowid>" in the links.
        var phase = "m", after: Int64 = 0, records: [JSONValue] = []
        if let cursor = params.cursor {
            guard let first = cursor.first, first == "m" || first == "l", let key = Int64(cursor.dropFirst()), key >= 0 else {
                throw ValidationError(field: "cursor", "is not a cursor memory.export returned")
            }
            phase = String(first)
            after = key
        } else {
            records.append([
                "type": "header", "format": .string(Self.exportFormat), "namespace": .string(params.namespace),
                "schema_version": .int(Int64(try store.schemaVersion().current)),
            ])
        }
        if phase == "m" {
            let memories = try store.exportRecords(
                namespace: params.namespace, afterKey: after, limit: limit, payloads: params.payloads ?? true,
                payloadBudget: Self.exportPagePayloadBytes)
            if let last = memories.last {
                return MemoryExport.Result(records: records + memories.map { Self.wire($0.record) }, cursor: "m\(last.key)")
            }
            after = 0  // memories done: the links
        }
        let (links, last) = try store.exportLinks(namespace: params.namespace, afterKey: after, limit: limit)
        records += links.map(Self.wire)
        return MemoryExport.Result(records: records, cursor: last.map { "l\($0)" })
    }

    func importRecords(_ params: MemoryImport.Params, _ context: RequestContext) throws -> MemoryImport.Result {
        try limits.checkName(params.namespace, field: "namespace")
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        guard params.records.count <= limits.maxBatchItems else {
            throw RPCError(
                .payloadTooLarge, "records holds \(params.records.count); one request may import at most \(limits.maxBatchItems)",
                field: "params.records", limit: limits.maxBatchItems)
        }
        switch params.format ?? "memos" {
        case "memos": return try importMemos(params, context)
        case "mem0": return try importMem0(params, context)
        case let other: throw ValidationError(field: "format", "must be memos or mem0 (got '\(other)')")
        }
    }

    private func importMemos(_ params: MemoryImport.Params, _ context: RequestContext) throws -> MemoryImport.Result {
        var memories: [TransferRecord] = [], links: [TransferLink] = []
        for (i, value) in params.records.enumerated() {
            let field = "records[\(i)]"
            guard case .object(let object) = value, case .string(let type)? = object["type"] else {
                throw ValidationError(field: field, "must be an object with a type (header, memory or link)")
            }
            switch type {
            case "header":
                try Self.onlyKeys(object, ["type", "format", "namespace", "schema_version"], field)
                guard object["format"] == .string(Self.exportFormat) else {
                    throw ValidationError(field: "\(field).format", "must be \(Self.exportFormat), the format memctl export writes")
                }
            case "memory": memories.append(try memoryRecord(object, field))
            case "link": links.append(try Self.linkRecord(object, field, maxWeight: limits.maxWeight))
            default: throw ValidationError(field: "\(field).type", "must be header, memory or link (got '\(type)')")
            }
        }
        let peer = Provenance(agent: params.agent, peerUID: context.peer?.uid, peerPID: context.peer?.pid, operation: .import)
        let result: (imported: [StoredCube], skipped: [CubeID])
        do {
            result = try writes.importRecords(namespace: params.namespace, memories, peer: peer, at: context.now)
        } catch let error as TransferError {
            // Positions in memories are not positions in records: name the record.
            let index = params.records.indices.filter { if case .string("memory")? = params.records[$0]["type"] { true } else { false } }[error.index]
            throw ValidationError(field: "records[\(index)].\(error.field)", error.message)
        }
        let linked = try store.importLinks(namespace: params.namespace, links)
        if links.contains(where: { $0.type == "conflicts_with" }) { conflictLinks.exist.store(true, ordering: .relaxed) }
        return MemoryImport.Result(
            imported: result.imported.count, skipped: result.skipped.count, links: linked.imported, linksSkipped: linked.skipped.count,
            ids: result.imported.map(\.cube.id.rawValue))
    }

    private func memoryRecord(_ object: [String: JSONValue], _ field: String) throws -> TransferRecord {
        try Self.onlyKeys(object, ["type", "memory", "versions", "entities", "payload"], field)
        guard case .object(let memory)? = object["memory"] else { throw ValidationError(field: "\(field).memory", "must be an object of the memory's stored fields") }
        if case .string(let text)? = memory["text"], text.utf8.count > limits.maxTextBytes {
            throw ValidationError(field: "\(field).memory.text", "is \(text.utf8.count) bytes; at most \(limits.maxTextBytes)")
        }
        guard case .array(let versionValues)? = object["versions"], !versionValues.isEmpty else {
            throw ValidationError(field: "\(field).versions", "must list the memory's versions")
        }
        let versions = try versionValues.enumerated().map { j, value -> [String: JSONValue] in
            guard case .object(let version) = value else { throw ValidationError(field: "\(field).versions[\(j)]", "must be an object") }
            return version
        }
        var entities: [Entity] = []
        for (j, value) in (object["entities"]?.arrayValue ?? []).enumerated() {
            let path = "\(field).entities[\(j)]"
            guard case .object(let entity) = value else { throw ValidationError(field: path, "must be an object {key, display, kind}") }
            try Self.onlyKeys(entity, ["key", "display", "kind"], path)
            guard case .string(let key)? = entity["key"], case .string(let display)? = entity["display"],
                  key.utf8.count <= limits.maxTagBytes * 4, display.utf8.count <= limits.maxTagBytes * 4,
                  let kind = entity["kind"]?.stringValue.flatMap(Entity.Kind.init(rawValue:))
            else { throw ValidationError(field: path, "needs a key and display (strings) and a kind (\(Entity.Kind.allCases.map(\.rawValue).joined(separator: ", ")))") }
            entities.append(Entity(key: key, display: display, kind: kind))
        }
        var payload: [UInt8]?
        if let value = object["payload"] {
            guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else {
                throw ValidationError(field: "\(field).payload", "must be base64")
            }
            guard Int64(bytes.count) <= limits.maxPayloadBytes else {
                throw RPCError(.payloadTooLarge, "\(field).payload is \(bytes.count) bytes; memosd takes at most \(limits.maxPayloadBytes)",
                               field: "params.\(field).payload", limit: Int(clamping: limits.maxPayloadBytes))
            }
            payload = [UInt8](bytes)
        }
        return TransferRecord(memory: memory, versions: versions, entities: entities, payload: payload)
    }

    static func linkRecord(_ object: [String: JSONValue], _ field: String, maxWeight: Double) throws -> TransferLink {
        try onlyKeys(object, ["type", "from", "to", "link_type", "weight", "created_at", "run_id"], field)
        guard let from = object["from"]?.stringValue.flatMap(CubeID.init) else { throw ValidationError(field: "\(field).from", "must be a memory id") }
        guard let to = object["to"]?.stringValue.flatMap(CubeID.init) else { throw ValidationError(field: "\(field).to", "must be a memory id") }
        guard case .string(let type)? = object["link_type"], !type.isEmpty, type.utf8.count <= 64 else {
            throw ValidationError(field: "\(field).link_type", "must be a link type (1 to 64 bytes)")
        }
        guard let weight = object["weight"]?.doubleValue, weight.isFinite, abs(weight) <= maxWeight else {
            throw ValidationError(field: "\(field).weight", "must be a number from -\(maxWeight) to \(maxWeight)")
        }
        guard case .int(let at)? = object["created_at"] else { throw ValidationError(field: "\(field).created_at", "must be an integer (milliseconds)") }
        let run: String?
        switch object["run_id"] {
        case nil, .null?: run = nil
        case .string(let s)?: run = s
        default: throw ValidationError(field: "\(field).run_id", "must be a string")
        }
        return TransferLink(from: from, to: to, type: type, weight: weight, createdAt: at, runID: run)
    }

    static func onlyKeys(_ object: [String: JSONValue], _ allowed: Set<String>, _ field: String) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError(field: "\(field).\(unknown)", "is not a key here; use \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// Mem0's export (its memories list) as new memories: `memory` the text,
    /// `agent_id` the agent, `run_id` the session, `metadata` the attributes,
    /// `categories` the tags, `created_at` when it happened; everything else
    /// of the record, and its id, kept in `source` (`{"type": "mem0", ...}`),
    /// which makes a second import of the same record a no-op.
    private func importMem0(_ params: MemoryImport.Params, _ context: RequestContext) throws -> MemoryImport.Result {
        var items: [MemoryAdd.Item] = [], mem0IDs: [String] = []
        for (i, value) in params.records.enumerated() {
            let field = "records[\(i)]"
            guard case .object(let record) = value else { throw ValidationError(field: field, "must be a Mem0 memory object") }
            guard case .string(let text)? = record["memory"] else { throw ValidationError(field: "\(field).memory", "must be the memory's text") }
            var item = MemoryAdd.Item(text: text)
            var source: [String: JSONValue] = ["type": "mem0"]
            for (key, value) in record where key != "memory" {
                switch (key, value) {
                case ("agent_id", .string(let agent)): item.agent = agent
                case ("run_id", .string(let run)): item.session = run
                case ("metadata", .object(let metadata)): item.attributes = metadata
                case ("categories", .array(let list)):
                    item.tags = try list.enumerated().map { j, tag in
                        guard case .string(let name) = tag else { throw ValidationError(field: "\(field).categories[\(j)]", "must be a string") }
                        return name
                    }
                case ("created_at", .string(let time)):
                    guard let at = Timestamp(iso8601: time) else { throw ValidationError(field: "\(field).created_at", "must be an ISO 8601 time (got '\(time)')") }
                    item.occurredAt = at
                    source[key] = value
                case (_, .null), ("agent_id", _), ("run_id", _), ("metadata", _), ("categories", _), ("created_at", _):
                    if value != .null { throw ValidationError(field: "\(field).\(key)", "has the wrong type for Mem0's \(key)") }
                default:
                    guard Self.mem0Fields.contains(key) else {
                        throw ValidationError(
                            field: "\(field).\(key)", "is not a field of a Mem0 memory; memos reads \(Self.mem0Fields.union(["memory"]).sorted().joined(separator: ", "))")
                    }
                    source[key] = value
                }
            }
            if item.agent == nil { item.agent = params.agent }
            if case .string(let id)? = record["id"] { mem0IDs.append(id) } else if case .int(let id)? = record["id"] {
                source["id"] = .string(String(id))
                mem0IDs.append(String(id))
            } else {
                mem0IDs.append("")
            }
            item.source = .object(source)
            items.append(item)
        }
        let already = try store.storedSourceValues(namespace: params.namespace, type: "mem0", field: "id", values: mem0IDs.filter { !$0.isEmpty })
        var seen = Set<String>()
        let fresh = zip(items, mem0IDs).filter { _, id in id.isEmpty || (!already.contains(id) && seen.insert(id).inserted) }.map(\.0)
        let skipped = items.count - fresh.count
        guard !fresh.isEmpty else { return MemoryImport.Result(imported: 0, skipped: skipped, links: 0, linksSkipped: 0, ids: []) }
        let added = try add(MemoryAdd.Params(namespace: params.namespace, items: fresh), context)
        let ids = added.ids ?? added.id.map { [$0] } ?? []
        return MemoryImport.Result(imported: ids.count, skipped: skipped, links: 0, linksSkipped: 0, ids: ids)
    }

    /// The fields of a Mem0 memory (its API and export) kept in `source`
    /// besides those mapped to memos fields; any other key is refused as a likely typo.
    static let mem0Fields: Set<String> = [
        "id", "hash", "user_id", "agent_id", "run_id", "app_id", "actor_id", "role", "metadata", "categories",
        "created_at", "updated_at", "expiration_date", "immutable", "score", "owner", "organization", "structured_attributes",
        "internal_metadata", "memory_type",
    ]

    static func wire(_ record: TransferRecord) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": "memory", "memory": .object(record.memory), "versions": .array(record.versions.map(JSONValue.object)),
            "entities": .array(record.entities.map { ["key": .string($0.key), "display": .string($0.display), "kind": .string($0.kind.rawValue)] }),
        ]
        if let payload = record.payload { object["payload"] = .string(Data(payload).base64EncodedString()) }
        return .object(object)
    }

    static func wire(_ link: TransferLink) -> JSONValue {
        var object: [String: JSONValue] = [
            "type": "link", "from": .string(link.from.rawValue), "to": .string(link.to.rawValue), "link_type": .string(link.type),
            "weight": .double(link.weight), "created_at": .int(link.createdAt),
        ]
        if let run = link.runID { object["run_id"] = .string(run) }
        return .object(object)
    }
}
