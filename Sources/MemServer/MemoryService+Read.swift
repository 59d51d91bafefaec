import MemAPI
import MemCube
import MemScheduler
import MemStore
import Retrieval

extension MemoryService {
    func recall(_ params: MemoryRecall.Params, _ context: RequestContext) throws -> MemoryRecall.Result {
        try limits.checkName(params.namespace, field: "namespace")
        try limits.checkText(params.query, field: "query")
        let k = params.k ?? 10
        guard (1...limits.maxK).contains(k) else {
            throw ValidationError(field: "k", "must be between 1 and \(limits.maxK) (got \(k))")
        }
        let filter = try filter(params.filter, field: "filter", allowState: false)
        var weights: [Signal: Double] = [:]
        for (name, weight) in params.weights ?? [:] {
            guard let signal = Signal(rawValue: name) else {
                throw ValidationError(
                    field: "weights.\(name)", "is not a signal; use \(Signal.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard weight >= 0, weight <= limits.maxWeight else {
                throw ValidationError(field: "weights.\(name)", "must be a number from 0 to \(Limits.show(limits.maxWeight)) (got \(Limits.show(weight)))")
            }
            weights[signal] = weight
        }
        var method: RankFusion.Method?
        if let name = params.fusion {
            guard let parsed = RankFusion.Method(rawValue: name) else {
                throw ValidationError(field: "fusion", "must be rrf or relative (got '\(name)')")
            }
            method = parsed
        }
        let diversity = params.diversity ?? 0
        guard (0...1).contains(diversity) else { throw ValidationError(field: "diversity", "must be between 0 and 1 (got \(diversity))") }
        var timings = RecallTimings()
        var query = RecallQuery(
            namespace: params.namespace, text: params.query, k: k, filter: filter, weights: weights, fusion: method,
            referenceTime: params.referenceTime, diversity: diversity, now: context.now)
        query.includeArchive = params.includeArchive ?? false
        if let count = params.summaries {
            guard (0...10).contains(count) else { throw ValidationError(field: "summaries", "must be between 0 and 10 (got \(count))") }
            query.summaries = count
        }
        var summaries: [RecallHit] = []
        var degraded: [String] = []
        let hits = try engine.recall(query, timings: &timings, summaries: &summaries, degraded: &degraded)
        if !degraded.isEmpty { logger.warning("recall degraded", [("namespace", params.namespace), ("reason", degraded.joined(separator: "; "))]) }
        accessLog.record(keys: hits.map(\.key), at: context.now)
        coRecall.record(namespace: params.namespace, hits: hits.compactMap { hit in
            guard hit.cube.kind == .plaintext, let text = hit.cube.text else { return nil }
            return RunnerHub.Source(id: hit.cube.id, version: hit.cube.version, text: text)
        })
        let explain = params.explain ?? false
        let conflicts = conflictLinks.exist.load(ordering: .relaxed) ? try store.linked(keys: hits.map(\.key), type: "conflicts_with") : [:]
        let effective = engine.fusion.weights.merging(weights) { _, new in new }
        let wire = { (hit: RecallHit) -> MemoryRecall.Hit in
            let cube = hit.cube
            let signals = Dictionary(uniqueKeysWithValues: hit.signals.map { signal, score in
                (signal.rawValue, MemoryRecall.Signal(
                    rank: score.rank, score: score.score,
                    contribution: explain ? score.contribution : nil,
                    weight: explain ? effective[signal] : nil))
            })
            return MemoryRecall.Hit(
                id: cube.id.rawValue, score: hit.score, text: cube.text, version: cube.version, tags: cube.tags,
                attributes: cube.attributes, importance: cube.importance, agent: cube.agent, session: cube.session,
                occurredAt: cube.occurredAt, createdAt: cube.createdAt, signals: signals, validTo: cube.validTo,
                conflictsWith: conflicts[hit.key].map { $0.map(\.rawValue) },
                explain: explain ? .init(fused: hit.fused, boosts: hit.boosts, timePhrase: hit.timePhrase) : nil,
                speaker: cube.speaker, validFrom: cube.validFrom)
        }
        var result = MemoryRecall.Result(hits: hits.map(wire), summaries: summaries.isEmpty ? nil : summaries.map(wire), timingsMS: explain ? [
            "embed": timings.embed, "vector": timings.vector, "keyword": timings.keyword, "graph": timings.graph,
            "load": timings.load, "fusion": timings.rest, "total": timings.total,
        ] : nil)
        result.degraded = degraded.isEmpty ? nil : degraded
        return result
    }

    func get(_ params: MemoryGet.Params, _ context: RequestContext) throws -> MemoryGet.Result {
        try limits.checkName(params.namespace, field: "namespace")
        if let ids = params.ids { return try getMany(ids, params, context) }
        if params.filter != nil { throw ValidationError(field: "filter", "goes with ids (memory.list filters a whole namespace)") }
        guard let text = params.id else { throw ValidationError(field: "id", "is required (or give ids)") }
        let id = try cubeID(text, field: "id")
        if let version = params.version {
            guard version >= 1 else { throw ValidationError(field: "version", "must be 1 or more") }
            return MemoryGet.Result(version: WireVersion(try store.version(namespace: params.namespace, id: id, version: version)))
        }
        let stored = try store.get(namespace: params.namespace, id: id, now: context.now)
        accessLog.record(keys: [stored.key], at: context.now)
        return try payloadResult(stored.cube, params: params, context: context)
    }

    /// memory.get with `ids`: the memories found, in the order asked; without a
    /// filter in any state (as memory.get of one id), with one as memory.list reads it.
    private func getMany(_ ids: [String], _ params: MemoryGet.Params, _ context: RequestContext) throws -> MemoryGet.Result {
        if params.id != nil { throw ValidationError(field: "ids", "give id or ids, not both") }
        for (key, given) in [("version", params.version != nil), ("export_to", params.exportTo != nil),
                             ("export_fd", params.exportFD != nil), ("include_data", params.includeData != nil)] where given {
            throw ValidationError(field: key, "goes with one id, not with ids")
        }
        guard !ids.isEmpty else { throw ValidationError(field: "ids", "must name at least one id") }
        if ids.count > limits.maxBatchItems {
            throw RPCError(
                .payloadTooLarge, "ids holds \(ids.count) ids; one request may get at most \(limits.maxBatchItems)",
                field: "params.ids", limit: limits.maxBatchItems)
        }
        var wanted: [CubeID] = []
        for (i, text) in ids.enumerated() { wanted.append(try cubeID(text, field: "ids[\(i)]")) }
        var filter = try filter(params.filter, field: "filter", allowState: true)
        if params.filter == nil { filter.states = .any }
        let found = try store.cubes(namespace: params.namespace, ids: wanted, filter: filter, now: context.now)
        var seen = Set<CubeID>(), memories: [WireMemory] = [], missing: [String] = []
        for id in wanted where seen.insert(id).inserted {
            if let cube = found[id] { memories.append(WireMemory(cube)) } else { missing.append(id.rawValue) }
        }
        return MemoryGet.Result(memories: memories, notFound: missing)
    }

    func history(_ params: MemoryHistory.Params, _ context: RequestContext) throws -> MemoryHistory.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        let versions = try store.history(namespace: params.namespace, id: id)
        return MemoryHistory.Result(id: id.rawValue, versions: versions.map(WireVersion.init))
    }

    func list(_ params: MemoryList.Params, _ context: RequestContext) throws -> MemoryList.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let limit = params.limit ?? 50
        guard (1...limits.maxListLimit).contains(limit) else {
            throw ValidationError(field: "limit", "must be between 1 and \(limits.maxListLimit) (got \(limit))")
        }
        let cursor = try params.cursor.map { text throws(ValidationError) in
            guard let id = CubeID(text) else { throw ValidationError(field: "cursor", "is not a cursor from a previous page") }
            return id
        }
        let filter = try filter(params.filter, field: "filter", allowState: true)
        let page = try store.list(namespace: params.namespace, filter: filter, limit: limit, cursor: cursor, now: context.now)
        return MemoryList.Result(memories: page.cubes.map(WireMemory.init), nextCursor: page.nextCursor)
    }

    func health(_ params: NoParams, _ context: RequestContext) -> SystemHealth.Result {
        SystemHealth.Result(
            status: "ok", version: Self.version,
            uptimeSeconds: Double(context.now.millis - startedAt.millis) / 1000, embedder: embedder.id)
    }

    func stats(_ params: NoParams, _ context: RequestContext) throws -> SystemStats.Result {
        let stats = try store.stats()
        let server = serverStats()
        return SystemStats.Result(
            namespaces: stats.namespaces.filter { namespaces.canRead($0.namespace, peer: context.peer) }.map {
                SystemStats.NamespaceStats(
                    namespace: $0.namespace, active: $0.active, superseded: $0.superseded, forgotten: $0.forgotten,
                    indexed: index.count(namespace: $0.namespace),
                    index: index.kind(namespace: $0.namespace))
            },
            versions: stats.versions, vectors: stats.vectors, auditEntries: stats.auditEntries,
            databaseBytes: stats.databaseBytes, walBytes: stats.walBytes, indexedVectors: index.totalCount,
            embedder: embedder.id, connections: server.connections, requests: server.requests, errors: server.errors,
            uptimeSeconds: Double(context.now.millis - startedAt.millis) / 1000)
    }

    func reindex(_ params: SystemReindex.Params, _ context: RequestContext) throws -> SystemReindex.Result {
        var status = try reindexer.status()
        if status.pending > 0 || status.running {
            if params.wait ?? false {
                reindexer.runToCompletion()
            } else {
                reindexer.start()
            }
            status = try reindexer.status()
        }
        return SystemReindex.Result(
            running: status.running, pending: status.pending, done: status.done, embedder: embedder.id,
            lastError: status.lastError)
    }
}
