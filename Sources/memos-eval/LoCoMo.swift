import Foundation
import MemCube

/// The LoCoMo benchmark file (Maharana et al., ACL 2024), as much of it as
/// turn-level retrieval needs.
struct LoCoMo {
    struct Turn {
        var diaID: String
        var speaker: String
        var text: String
        var caption: String?
        var session: String
        var occurredAt: Timestamp?

        /// "Speaker: utterance", plus " [shares a photo: CAPTION]" (the protocol of locomo_baselines.md).
        var memoryText: String {
            var text = "\(speaker): \(self.text)"
            if let caption, !caption.isEmpty { text += " [shares a photo: \(caption)]" }
            return text
        }
    }

    struct Question {
        var text: String
        var category: Int
        /// Evidence turn ids that exist in the conversation.
        var evidence: Set<String>
    }

    struct Conversation {
        var id: String
        var turns: [Turn]
        var questions: [Question]
    }

    var conversations: [Conversation]

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let samples = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw EvalError("\(path) is not a LoCoMo file (a JSON array of samples)")
        }
        conversations = try samples.enumerated().map { index, sample in
            guard let conversation = sample["conversation"] as? [String: Any] else {
                throw EvalError("sample \(index) has no conversation")
            }
            var turns: [Turn] = []
            let sessions = conversation.keys.compactMap { key -> Int? in
                guard key.hasPrefix("session_"), !key.hasSuffix("date_time") else { return nil }
                return Int(key.dropFirst("session_".count))
            }.sorted()
            for n in sessions {
                let key = "session_\(n)"
                let date = (conversation["\(key)_date_time"] as? String).flatMap(Self.parseDate)
                for turn in conversation[key] as? [[String: Any]] ?? [] {
                    turns.append(Turn(
                        diaID: turn["dia_id"] as? String ?? "", speaker: turn["speaker"] as? String ?? "",
                        text: turn["text"] as? String ?? "", caption: turn["blip_caption"] as? String,
                        session: key, occurredAt: date))
                }
            }
            let ids = Set(turns.map(\.diaID))
            let questions = (sample["qa"] as? [[String: Any]] ?? []).compactMap { qa -> Question? in
                guard let category = qa["category"] as? Int, (1...4).contains(category),
                      let text = qa["question"] as? String else { return nil }
                // Evidence lists hold ids, a few of them joined with "; ".
                let evidence = Set((qa["evidence"] as? [String] ?? [])
                    .flatMap { $0.split(separator: ";") }
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter(ids.contains))
                return evidence.isEmpty ? nil : Question(text: text, category: category, evidence: evidence)
            }
            return Conversation(id: sample["sample_id"] as? String ?? "conv-\(index)", turns: turns, questions: questions)
        }
    }

    /// "1:56 pm on 8 May, 2023" (taken as UTC).
    static func parseDate(_ text: String) -> Timestamp? {
        let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                      "october", "november", "december"]
        let parts = text.lowercased().replacingOccurrences(of: ",", with: "").split(separator: " ")
        guard parts.count == 6, parts[2] == "on" else { return nil }
        let clock = parts[0].split(separator: ":")
        guard clock.count == 2, var hour = Int64(clock[0]), let minute = Int64(clock[1]),
              let day = Int64(parts[3]), let month = months.firstIndex(of: String(parts[4])), let year = Int64(parts[5])
        else { return nil }
        if parts[1] == "pm" && hour < 12 { hour += 12 }
        if parts[1] == "am" && hour == 12 { hour = 0 }
        let days = Timestamp.days(fromCivil: year, Int64(month + 1), day)
        return Timestamp(millis: ((days * 24 + hour) * 60 + minute) * 60_000)
    }
}

struct EvalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
