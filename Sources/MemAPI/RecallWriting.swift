import MemCube
import MemJSON

// memory.recall's result writes itself (JSONWriter): the hot path's bytes,
// the same as JSONEncoder's with sorted keys (JSONWriterTests).

extension JSONWriter {
    public mutating func timestamp(_ value: Timestamp) { string(value.iso8601) }
}

extension MemoryRecall.Result: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { m in
            if let degraded { m.member("degraded") { w in w.strings(degraded) } }
            m.member("hits") { w in w.array(hits) }
            if let summaries { m.member("summaries") { w in w.array(summaries) } }
            if let timingsMS { m.member("timings_ms") { w in w.object(timingsMS) { $0.double($1) } } }
        }
    }
}

extension MemoryRecall.Hit: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { m in
            if let agent { m.member("agent") { $0.string(agent) } }
            m.member("attributes") { $0.value(.object(attributes)) }
            if let conflictsWith { m.member("conflicts_with") { w in w.strings(conflictsWith) } }
            m.member("created_at") { $0.timestamp(createdAt) }
            if let explain {
                m.member("explain") { w in
                    w.object { e in
                        e.member("boosts") { $0.object(explain.boosts) { $0.double($1) } }
                        e.member("fused") { $0.double(explain.fused) }
                        if let phrase = explain.timePhrase { e.member("time_phrase") { $0.string(phrase) } }
                    }
                }
            }
            m.member("id") { $0.string(id) }
            m.member("importance") { $0.double(importance) }
            if let occurredAt { m.member("occurred_at") { $0.timestamp(occurredAt) } }
            m.member("score") { $0.double(score) }
            if let session { m.member("session") { $0.string(session) } }
            m.member("signals") { w in
                w.object(signals) { w, signal in
                    w.object { s in
                        if let contribution = signal.contribution { s.member("contribution") { $0.double(contribution) } }
                        s.member("rank") { $0.int(Int64(signal.rank)) }
                        s.member("score") { $0.double(signal.score) }
                        if let weight = signal.weight { s.member("weight") { $0.double(weight) } }
                    }
                }
            }
            if let speaker { m.member("speaker") { $0.string(speaker) } }
            m.member("tags") { w in w.strings(tags) }
            if let text { m.member("text") { $0.string(text) } }
            if let validFrom { m.member("valid_from") { $0.timestamp(validFrom) } }
            if let validTo { m.member("valid_to") { $0.timestamp(validTo) } }
            m.member("version") { $0.int(Int64(version)) }
        }
    }
}
