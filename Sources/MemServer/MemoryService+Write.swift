import MemAPI
import MemCube
import MemJSON
import MemStore
import Retrieval

extension MemoryService {
    func add(_ params: MemoryAdd.Params, _ context: RequestContext) throws -> MemoryAdd.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let batch = params.items != nil
        let items: [(MemoryAdd.Item, String)]
        if let list = params.items {
            if params.item.text != nil {
                throw ValidationError(field: "text", "give either text or items, not both")
            }
            if list.isEmpty { throw ValidationError(field: "items", "must hold at least one memory") }
            if list.count > limits.maxBatchItems {
                throw RPCError(
                    .payloadTooLarge, "items holds \(list.count) memories; one request may add at most \(limits.maxBatchItems)",
                    field: "params.items", limit: limits.maxBatchItems)
            }
            items = list.enumerated().map { ($1, "items[\($0)].") }
        } else {
            items = [(params.item, "")]
        }

        var cubes: [MemCube] = []
        var named: [[Entity]] = []
        cubes.reserveCapacity(items.count)
        for (item, prefix) in items {
            cubes.append(try cube(from: item, prefix: prefix, namespace: params.namespace, context: context))
            named.append(try namedEntities(item.entities, field: "\(prefix)entities"))
        }
        // Valid, every one: find the entities in the texts (on every core for a large batch).
        let found = ParallelMap.map(cubes.map { $0.text ?? "" }) { EntityExtractor.extract($0) }
        let entities = zip(found, named).map { Self.merging($0, $1) }
        let stored = try writes.add(cubes, entities: entities)
        if batch { return MemoryAdd.Result(ids: stored.map(\.cube.id.rawValue)) }
        return MemoryAdd.Result(id: stored[0].cube.id.rawValue, version: stored[0].cube.version)
    }

    /// Validates one item and builds its cube (not yet stored).
    private func cube(
        from item: MemoryAdd.Item, prefix: String, namespace: String, context: RequestContext
    ) throws -> MemCube {
        let kind: Kind
        if let name = item.kind {
            guard let parsed = Kind(rawValue: name) else {
                throw ValidationError(field: "\(prefix)kind", "must be plaintext, activation or parameter (got '\(name)')")
            }
            kind = parsed
        } else {
            kind = .plaintext
        }
        let text: String?
        if kind == .plaintext {
            guard let given = item.text else { throw ValidationError(field: "\(prefix)text", "is required") }
            for (key, value) in [("format", item.format), ("model", item.model), ("path", item.path), ("data", item.data), ("fd", item.fd.map(String.init))] where value != nil {
                throw ValidationError(field: "\(prefix)\(key)", "belongs to activation and parameter memories; this one is plaintext (set kind)")
            }
            text = given
        } else {
            text = item.text  // an optional description, searchable like any text
        }
        if let text { try limits.checkText(text, field: "\(prefix)text") }
        if let agent = item.agent { try limits.checkName(agent, field: "\(prefix)agent") }
        if let session = item.session { try limits.checkName(session, field: "\(prefix)session") }
        if let speaker = item.speaker { try limits.checkSpeaker(speaker, field: "\(prefix)speaker") }
        let tags = try uniqueTags(item.tags, field: "\(prefix)tags")
        try checkAttributes(item.attributes, field: "\(prefix)attributes")
        let importance = item.importance ?? 0.5
        try limits.checkImportance(importance, field: "\(prefix)importance")
        var expiresAt: Timestamp?
        if let ttl = item.ttlSeconds {
            try limits.checkTTL(ttl, field: "\(prefix)ttl_seconds", zeroClears: false)
            expiresAt = context.now.adding(seconds: ttl)
        }
        var provenance = provenance(.add, agent: item.agent, context: context, source: item.source)
        provenance.derivedFrom = try derivedFrom(item.derivedFrom, namespace: namespace, prefix: prefix, now: context.now)
        // The payload is stored last: everything else about the item is valid by now.
        let content = kind == .plaintext ? nil : try payload(of: item, kind: kind, prefix: prefix, context: context)
        return MemCube(
            id: .generate(at: context.now.millis), kind: kind, namespace: namespace, agent: item.agent, session: item.session,
            text: text, tags: tags, attributes: item.attributes ?? [:], importance: importance,
            occurredAt: item.occurredAt, createdAt: context.now, validFrom: item.validFrom, expiresAt: expiresAt,
            provenance: provenance, content: content, speaker: item.speaker)
    }

    /// The entities a writer named (`entities` of an item), checked.
    func namedEntities(_ names: [String]?, field: String) throws(ValidationError) -> [Entity] {
        var entities: [Entity] = []
        for (i, name) in (names ?? []).enumerated() {
            let key = EntityExtractor.normalize(name)
            guard !key.isEmpty, name.utf8.count <= limits.maxTagBytes else {
                throw ValidationError(field: "\(field)[\(i)]", "must be a name of 1 to \(limits.maxTagBytes) bytes with a letter or digit")
            }
            entities.append(Entity(key: key, display: name, kind: .name))
        }
        return entities
    }

    /// Found entities, then the named ones the text did not already name.
    static func merging(_ found: [Entity], _ named: [Entity]) -> [Entity] {
        var entities = found
        for entity in named where !entities.contains(where: { $0.key == entity.key && $0.kind == .name }) {
            entities.append(entity)
        }
        return entities
    }

    func uniqueTags(_ tags: [String]?, field: String) throws(ValidationError) -> [String] {
        guard let tags else { return [] }
        try limits.checkTags(tags, field: field)
        var seen = Set<String>()
        return tags.filter { seen.insert($0).inserted }
    }

    func checkAttributes(_ attributes: [String: JSONValue]?, field: String) throws(ValidationError) {
        guard let attributes else { return }
        let size = JSONSize.of(.object(attributes))
        if size > limits.maxAttributesBytes {
            throw ValidationError(field: field, "is about \(size) bytes of JSON; the limit is \(limits.maxAttributesBytes)")
        }
    }

    func update(_ params: MemoryUpdate.Params, _ context: RequestContext) throws -> MemoryUpdate.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        var change = CubeChange()
        if let text = params.text {
            try limits.checkText(text, field: "text")
            change.text = text
            change.embedding = Embedding(embedder: embedder.id, vector: try embedder.embed(text))
            change.entities = EntityExtractor.extract(text)
        }
        if params.tags != nil { change.tags = try uniqueTags(params.tags, field: "tags") }
        if let attributes = params.attributes {
            try checkAttributes(attributes, field: "attributes")
            change.attributes = attributes
        }
        if let importance = params.importance {
            try limits.checkImportance(importance, field: "importance")
            change.importance = importance
        }
        change.occurredAt = params.occurredAt
        if let session = params.session {
            try limits.checkName(session, field: "session")
            change.session = session
        }
        if let ttl = params.ttlSeconds {
            try limits.checkTTL(ttl, field: "ttl_seconds", zeroClears: true)
            change.expiresAt = .some(ttl == 0 ? nil : context.now.adding(seconds: ttl))
        }
        if let expected = params.expectedVersion, expected < 1 {
            throw ValidationError(field: "expected_version", "must be 1 or more")
        }
        if change.isEmpty {
            throw ValidationError(field: "", "name at least one field to change (text, tags, attributes, importance, occurred_at, session, ttl_seconds)")
        }
        let updated = try store.update(
            namespace: params.namespace, id: id, change: change, expectedVersion: params.expectedVersion,
            provenance: provenance(.update, agent: params.agent, context: context), at: context.now
        ) { stored in
            let meta = VectorMeta(stored.cube)
            keywords.upsert(namespace: stored.cube.namespace, key: stored.key, text: stored.cube.text, meta: meta)
            guard stored.cube.tier != .archive else { return }  // archived memories stay out of the vector index
            if let vector = change.embedding?.vector {
                index.upsert(namespace: stored.cube.namespace, key: stored.key, vector: vector, meta: meta)
            } else {
                index.updateMeta(namespace: stored.cube.namespace, key: stored.key, meta: meta)
            }
        }
        if change.text != nil, updated.cube.kind == .plaintext {
            try demoteStaleSnapshots(of: updated, now: context.now)
        }
        return MemoryUpdate.Result(id: updated.cube.id.rawValue, version: updated.cube.version)
    }

    /// A new version restoring version `to_version`'s text, tags, attributes,
    /// importance, state and validity (a forgotten memory comes back, an
    /// active one can be sent back to forgotten or superseded).
    func revert(_ params: MemoryRevert.Params, _ context: RequestContext) throws -> MemoryUpdate.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        guard params.toVersion >= 1 else { throw ValidationError(field: "to_version", "must be 1 or more") }
        let history = try store.history(namespace: params.namespace, id: id)
        guard let current = history.last else { throw StoreError.notFound(id) }
        if let expected = params.expectedVersion, expected != current.version {
            throw StoreError.versionConflict(id, expected: expected, actual: current.version)
        }
        guard let target = history.first(where: { $0.version == params.toVersion }) else {
            throw ValidationError(field: "to_version", "memory \(id.rawValue) has versions 1 to \(current.version) (got \(params.toVersion))")
        }
        guard target.version != current.version else {
            throw ValidationError(field: "to_version", "\(target.version) is already the current version of \(id.rawValue)")
        }
        var revision = CubeRevision(
            id: id, expectedVersion: current.version, restoring: target,
            provenance: provenance(.revert, agent: params.agent, context: context, source: .object([
                "reverted_to": .int(Int64(target.version)), "reverted_from": .int(Int64(current.version)),
            ])))
        var vectors: [CubeID: [Float]] = [:]
        if target.state == .active, let text = target.text, !text.isEmpty, current.state != .active || current.text != text {
            let vector = try embedder.embed(text)
            revision.embedding = Embedding(embedder: embedder.id, vector: vector)
            vectors[id] = vector
            if current.text != text { revision.entities = EntityExtractor.extract(text) }
        }
        let revised = try store.revise(namespace: params.namespace, [revision], linking: [], runID: nil, at: context.now) {
            writes.applyRevisions($0, vectors: vectors)
        }
        return MemoryUpdate.Result(id: id.rawValue, version: revised[0].after.cube.version)
    }

    func forget(_ params: MemoryForget.Params, _ context: RequestContext) throws -> MemoryForget.Result {
        try limits.checkName(params.namespace, field: "namespace")
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        if params.filter != nil { return try forgetMatching(params, context) }
        if params.dryRun != nil { throw ValidationError(field: "dry_run", "goes with filter (forgetting ids needs no count)") }
        var ids: [CubeID] = []
        if let id = params.id { ids.append(try cubeID(id, field: "id")) }
        if let list = params.ids {
            if list.count > limits.maxBatchItems {
                throw RPCError(
                    .payloadTooLarge, "ids holds \(list.count) ids; one request may forget at most \(limits.maxBatchItems)",
                    field: "params.ids", limit: limits.maxBatchItems)
            }
            for (i, text) in list.enumerated() { ids.append(try cubeID(text, field: "ids[\(i)]")) }
        }
        if ids.isEmpty { throw ValidationError(field: "id", "is required (or give ids)") }
        let purge = params.purge ?? false
        let count = try store.forget(
            namespace: params.namespace, ids: ids, purge: purge,
            provenance: provenance(purge ? .purge : .forget, agent: params.agent, context: context), at: context.now
        ) { keys in
            index.remove(namespace: params.namespace, keys: keys)
            keywords.remove(namespace: params.namespace, keys: keys)
        }
        return MemoryForget.Result(forgotten: count)
    }

    /// memory.forget with `filter`: every memory that passes it, chosen in the
    /// write transaction; `dry_run` counts them and changes nothing.
    private func forgetMatching(_ params: MemoryForget.Params, _ context: RequestContext) throws -> MemoryForget.Result {
        if params.id != nil || params.ids != nil { throw ValidationError(field: "filter", "give id, ids or filter, not more than one") }
        if params.filter?.json == .object([:]) {
            throw ValidationError(field: "filter", "is empty, which would forget every memory; to mean that, say {\"state\": \"active\"}")
        }
        let filter = try filter(params.filter, field: "filter", allowState: true)
        if params.dryRun == true {
            let (count, ids) = try store.count(namespace: params.namespace, filter: filter, sample: 100, now: context.now)
            return MemoryForget.Result(forgotten: 0, matched: count, ids: ids.map(\.rawValue))
        }
        let purge = params.purge ?? false
        let (matched, changed) = try store.forget(
            namespace: params.namespace, matching: filter, purge: purge,
            provenance: provenance(purge ? .purge : .forget, agent: params.agent, context: context), at: context.now
        ) { keys in
            index.remove(namespace: params.namespace, keys: keys)
            keywords.remove(namespace: params.namespace, keys: keys)
        }
        return MemoryForget.Result(forgotten: changed, matched: matched)
    }
}

import Foundation

/// The size of a JSON value as compact JSON text, for limits.
enum JSONSize {
    static func of(_ value: JSONValue) -> Int {
        (try? JSONEncoder().encode(value).count) ?? Int.max
    }
}
