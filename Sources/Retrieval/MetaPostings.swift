import MemCube
import MemJSON
import MemStore

/// Which nodes of a graph hold each filterable value: a tag, an agent, a
/// session, a speaker, a kind, a tier, an attribute's value (each element of
/// an array attribute) or an attribute's presence. A filter's equality, `in`
/// and `exists` conditions become a candidate list from these, so a
/// selective filter is searched over its few candidates instead of by
/// walking the graph (`FilterPlan`).
///
/// Lists are sorted and hold each node once. Tombstoned nodes stay listed
/// (the graph's `deleted` marks drop them, and a rebuild sheds them); a
/// metadata change moves the node from its old values' lists to its new ones.
/// Owned by the graph, so guarded by its lock.
struct MetaPostings: Sendable {
    enum Term: Hashable, Sendable {
        case tag(String), agent(String), session(String), speaker(String)
        case kind(Kind), tier(Tier)
        /// An attribute holding this scalar (or an array holding it as an element).
        case attribute(String, FilterValue)
        /// An attribute with any value but null or [].
        case hasAttribute(String)
    }

    private(set) var lists: [Term: [Int32]] = [:]

    static func terms(_ meta: VectorMeta) -> Set<Term> {
        var terms: Set<Term> = [.kind(meta.kind), .tier(meta.tier)]
        for tag in meta.tags { terms.insert(.tag(tag)) }
        if let agent = meta.agent { terms.insert(.agent(agent)) }
        if let session = meta.session { terms.insert(.session(session)) }
        if let speaker = meta.speaker { terms.insert(.speaker(speaker)) }
        for (name, value) in meta.attributes {
            switch FilterValue(attribute: value) {
            case nil: continue
            case .list(let items)?:
                if !items.isEmpty { terms.insert(.hasAttribute(name)) }
                for item in items where item != .other { terms.insert(.attribute(name, item)) }
            case .other?: terms.insert(.hasAttribute(name))
            case let scalar?:
                terms.insert(.hasAttribute(name))
                terms.insert(.attribute(name, scalar))
            }
        }
        return terms
    }

    mutating func add(_ node: Int32, _ meta: VectorMeta) {
        for term in Self.terms(meta) { Self.insert(node, into: &lists[term, default: []]) }
    }

    /// Moves `node` from `old`'s values to `new`'s.
    mutating func change(_ node: Int32, from old: VectorMeta, to new: VectorMeta) {
        let before = Self.terms(old), after = Self.terms(new)
        for term in before.subtracting(after) {
            guard var list = lists.removeValue(forKey: term) else { continue }
            let at = Self.lowerBound(node, in: list)
            if at < list.count, list[at] == node { list.remove(at: at) }
            if !list.isEmpty { lists[term] = list }
        }
        for term in after.subtracting(before) { Self.insert(node, into: &lists[term, default: []]) }
    }

    private static func insert(_ node: Int32, into list: inout [Int32]) {
        if list.last.map({ $0 < node }) ?? true {
            list.append(node)  // the usual case: nodes are numbered in insertion order
            return
        }
        let at = lowerBound(node, in: list)
        if at == list.count || list[at] != node { list.insert(node, at: at) }
    }

    private static func lowerBound(_ node: Int32, in list: [Int32]) -> Int {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid] < node { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: - Candidates

    /// The nodes that can pass `filter`, sorted: a superset of those that do
    /// (every candidate is still checked against the whole filter); nil when
    /// no condition narrows the search (ranges, `ne`, `not`, substrings).
    func candidates(_ filter: CubeFilter) -> [Int32]? {
        var parts: [[Int32]] = []
        for tag in filter.tags { parts.append(lists[.tag(tag)] ?? []) }
        if let agent = filter.agent { parts.append(lists[.agent(agent)] ?? []) }
        if let session = filter.session { parts.append(lists[.session(session)] ?? []) }
        if let speaker = filter.speaker { parts.append(lists[.speaker(speaker)] ?? []) }
        if let kind = filter.kind { parts.append(lists[.kind(kind)] ?? []) }
        if let tier = filter.tier { parts.append(lists[.tier(tier)] ?? []) }
        if let expression = filter.expression, let narrowed = candidates(expression) { parts.append(narrowed) }
        return parts.isEmpty ? nil : Self.intersection(parts)
    }

    private func candidates(_ expression: FilterExpression) -> [Int32]? {
        switch expression {
        case .all(let parts):
            let narrowed = parts.compactMap(candidates)
            return narrowed.isEmpty ? nil : Self.intersection(narrowed)
        case .any(let parts):
            var lists: [[Int32]] = []
            for part in parts {
                guard let narrowed = candidates(part) else { return nil }
                lists.append(narrowed)
            }
            return Self.union(lists)
        case .not:
            return nil
        case .condition(let condition):
            return candidates(condition)
        }
    }

    private func candidates(_ condition: FilterCondition) -> [Int32]? {
        switch condition.op {
        case .eq:
            return term(condition.field, condition.operand).map { lists[$0] ?? [] }
        case .in:
            guard case .list(let options) = condition.operand else { return nil }
            var found: [[Int32]] = []
            for option in options {
                guard let term = term(condition.field, option) else { return nil }
                found.append(lists[term] ?? [])
            }
            return Self.union(found)
        case .contains:
            // On tags, a tag; on an attribute it may also be a substring of a string value.
            guard condition.field == .tags else { return nil }
            return term(.tags, condition.operand).map { lists[$0] ?? [] }
        case .exists:
            guard condition.operand == .bool(true), case .attribute(let name) = condition.field else { return nil }
            return lists[.hasAttribute(name)] ?? []
        case .ne, .nin, .gt, .gte, .lt, .lte:
            return nil
        }
    }

    /// The term a field's value is listed under; nil for fields not listed.
    private func term(_ field: FilterField, _ value: FilterValue) -> Term? {
        switch (field, value) {
        case (.tags, .string(let s)): .tag(s)
        case (.agent, .string(let s)): .agent(s)
        case (.session, .string(let s)): .session(s)
        case (.speaker, .string(let s)): .speaker(s)
        case (.kind, .string(let s)): Kind(rawValue: s).map(Term.kind)
        case (.tier, .string(let s)): Tier(rawValue: s).map(Term.tier)
        case (.attribute(let name), .string), (.attribute(let name), .number), (.attribute(let name), .bool): .attribute(name, value)
        default: nil
        }
    }

    // MARK: - Sorted-list algebra

    static func intersection(_ lists: [[Int32]]) -> [Int32] {
        var ordered = lists.sorted { $0.count < $1.count }
        var result = ordered.removeFirst()
        for other in ordered {
            if result.isEmpty { break }
            var kept: [Int32] = []
            kept.reserveCapacity(result.count)
            var j = 0
            for node in result {
                while j < other.count, other[j] < node { j += 1 }
                if j == other.count { break }
                if other[j] == node { kept.append(node) }
            }
            result = kept
        }
        return result
    }

    static func union(_ lists: [[Int32]]) -> [Int32] {
        let nonEmpty = lists.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first ?? [] }
        var all = nonEmpty.flatMap { $0 }
        all.sort()
        var result: [Int32] = []
        result.reserveCapacity(all.count)
        for node in all where result.last != node { result.append(node) }
        return result
    }
}
