import Foundation
import MemCube
import MemStore

/// The graph signal: spreading activation over the memory graph.
///
/// Activation starts at (1) the memories that mention the query's entities,
/// weighted by how rare each entity is, and (2) the best hits of the other
/// signals, in proportion to their fused score. It then flows one hop along
/// edges (session order, derived-from, client links) and through entities
/// the seeds share with other memories. What a memory receives is its graph
/// score: memories next to, or about the same things as, strong hits.
///
/// Bounded work: at most `seedCount` seeds, `maxMentions` memories per
/// entity, and entities mentioned by more than `maxMentions` memories do not
/// spread at all (a speaker's name in every turn says nothing).
public struct GraphRecall: Sendable {
    public var seedCount = 10
    public var maxMentions = 200
    /// Entities shared by seeds spread only when this rare.
    public var maxSharedMentions = 50
    public var queryEntityWeight = 1.0
    public var sharedEntityWeight = 0.3
    /// Weight by edge type; client links use 0.8 × their own weight.
    public var edgeWeights: [String: Double] = ["next": 0.6, "derived": 0.7]

    public init() {}

    public func rank(
        store: any CubeStore, namespace: String, query: String, seeds: [(key: Int64, score: Double)], namespaceSize: Int,
        limit: Int
    ) throws -> [(key: Int64, score: Double)] {
        var activation: [Int64: Double] = [:]
        let n = Double(max(namespaceSize, 1))
        func rarity(_ mentions: Int) -> Double { log(1 + n / Double(max(mentions, 1))) / log(1 + n) }

        // 1. The query's entities: extracted ones, plus its content words and word pairs,
        //    so that a lower-case "caroline" meets "Caroline's".
        let found = try store.findEntities(namespace: namespace, keys: Array(Self.queryKeys(query)))
            .filter { $0.mentions <= maxMentions }
        let mentioned = try store.mentions(entityIDs: found.map(\.id), limit: maxMentions)
        for entity in found {
            for key in mentioned[entity.id] ?? [] {
                activation[key, default: 0] += queryEntityWeight * rarity(entity.mentions)
            }
        }

        // 2. One hop from the best hits of the other signals.
        let top = Array(seeds.prefix(seedCount))
        guard let best = top.map(\.score).max(), best > 0 else { return Self.sorted(activation, limit) }
        let seedKeys = top.map(\.key)
        let neighbors = try store.neighbors(keys: seedKeys)
        let entities = try store.entities(ofKeys: seedKeys)
        let shared = Set(entities.values.joined().filter { $0.mentions > 1 && $0.mentions <= maxSharedMentions }.map(\.id))
        let sharedMentions = try store.mentions(entityIDs: Array(shared), limit: maxSharedMentions)
        for seed in top {
            let strength = seed.score / best
            for edge in neighbors[seed.key] ?? [] {
                let weight = edgeWeights[edge.type] ?? 0.8 * edge.weight
                activation[edge.key, default: 0] += strength * weight
            }
            for entity in entities[seed.key] ?? [] where shared.contains(entity.id) {
                for key in sharedMentions[entity.id] ?? [] where key != seed.key {
                    activation[key, default: 0] += strength * sharedEntityWeight * rarity(entity.mentions)
                }
            }
        }
        return Self.sorted(activation, limit)
    }

    static func sorted(_ activation: [Int64: Double], _ limit: Int) -> [(key: Int64, score: Double)] {
        activation.filter { $0.value > 0 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (key: $0.key, score: $0.value) }
    }

    /// Entity keys to look up for a query: extracted entities, and the
    /// normalized content words and adjacent pairs.
    static func queryKeys(_ query: String) -> Set<String> {
        var keys = Set(EntityExtractor.extract(query).map(\.key))
        let words = EntityExtractor.normalize(query).split(separator: " ").map(String.init)
        for (i, word) in words.enumerated() where !StopWords.english.contains(word) {
            keys.insert(word)
            if i + 1 < words.count, !StopWords.english.contains(words[i + 1]) { keys.insert(word + " " + words[i + 1]) }
        }
        return keys
    }
}
