import MemAPI
import MemCube
import MemStore
import Retrieval

extension MemoryService {
    static let reservedEdgeTypes: Set<String> = ["next", "previous", "derived", "source", "entity", "continues"]

    func link(_ params: MemoryLink.Params, _ context: RequestContext) throws -> MemoryLink.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let from = try cubeID(params.from, field: "from")
        let to = try cubeID(params.to, field: "to")
        guard from != to else { throw ValidationError(field: "to", "must differ from from: a memory cannot link to itself") }
        let type = params.type ?? "related"
        try limits.checkName(type, field: "type")
        guard !Self.reservedEdgeTypes.contains(type) else {
            throw ValidationError(field: "type", "'\(type)' is reserved for edges memos makes itself; use another name, e.g. related")
        }
        let weight = params.weight ?? 1
        guard (0...1).contains(weight) else { throw ValidationError(field: "weight", "must be between 0 and 1 (got \(weight))") }
        if let agent = params.agent { try limits.checkName(agent, field: "agent") }
        try store.link(
            namespace: params.namespace, from: from, to: to, type: type, weight: weight,
            provenance: provenance(.link, agent: params.agent, context: context), at: context.now)
        return MemoryLink.Result(from: from.rawValue, to: to.rawValue, type: type, weight: weight)
    }

    func neighbors(_ params: GraphNeighbors.Params, _ context: RequestContext) throws -> GraphNeighbors.Result {
        try limits.checkName(params.namespace, field: "namespace")
        let id = try cubeID(params.id, field: "id")
        let limit = params.limit ?? 20
        guard (1...limits.maxK).contains(limit) else { throw ValidationError(field: "limit", "must be between 1 and \(limits.maxK)") }
        let stored = try store.get(namespace: params.namespace, id: id, now: context.now)

        // Edges first (strongest first), then memories sharing the rarest entities.
        var relations: [Int64: (relation: String, weight: Double, via: [String])] = [:]
        for edge in try store.neighbors(keys: [stored.key])[stored.key] ?? [] {
            let relation: String
            switch (edge.type, edge.outgoing) {
            case ("next", true): relation = "next"
            case ("next", false): relation = "previous"
            case ("derived", true): relation = "derived"
            case ("derived", false): relation = "source"
            default: relation = edge.type
            }
            if relations[edge.key].map({ $0.weight < edge.weight }) ?? true {
                relations[edge.key] = (relation, edge.weight, [])
            }
        }
        let entities = (try store.entities(ofKeys: [stored.key])[stored.key] ?? []).sorted { $0.mentions < $1.mentions }
        let shared = entities.filter { $0.mentions > 1 && $0.mentions <= engine.graph.maxMentions }
        let mentions = try store.mentions(entityIDs: shared.map(\.id), limit: limit)
        for entity in shared {
            for key in mentions[entity.id] ?? [] where key != stored.key {
                if var existing = relations[key] {
                    if existing.relation == "entity" { existing.via.append(entity.entity.display) }
                    relations[key] = existing
                } else {
                    relations[key] = ("entity", 1 / Double(entity.mentions), [entity.entity.display])
                }
            }
        }
        let cubes = try store.cubes(namespace: params.namespace, keys: Array(relations.keys), now: context.now)
        let neighbors = relations.compactMap { key, value -> (GraphNeighbors.WireNeighbor, Int64)? in
            guard let cube = cubes[key] else { return nil }
            return (GraphNeighbors.WireNeighbor(
                id: cube.id.rawValue, text: cube.text, relation: value.relation, weight: value.weight,
                via: value.via.isEmpty ? nil : value.via), key)
        }
        .sorted { a, b in
            let ea = a.0.relation == "entity", eb = b.0.relation == "entity"
            if ea != eb { return !ea }
            return a.0.weight != b.0.weight ? a.0.weight > b.0.weight : a.1 < b.1
        }
        .prefix(limit).map(\.0)
        return GraphNeighbors.Result(
            id: id.rawValue,
            entities: entities.map {
                GraphNeighbors.WireEntity(key: $0.entity.key, display: $0.entity.display, kind: $0.entity.kind.rawValue, mentions: $0.mentions)
            },
            neighbors: Array(neighbors))
    }
}
