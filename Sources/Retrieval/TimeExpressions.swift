import Foundation
import MemCube

/// A window of time a query refers to: [start, end).
public struct TimeWindow: Sendable, Hashable {
    public var start: Timestamp
    public var end: Timestamp
    /// The words that named it ("last week").
    public var phrase: String

    public func contains(_ t: Timestamp) -> Bool { t >= start && t < end }

    /// 1 inside the window, falling off with the distance outside it: half
    /// the score one window-length away (at least one day).
    public func closeness(_ t: Timestamp) -> Double {
        if contains(t) { return 1 }
        let width = Double(max(end.millis - start.millis, 86_400_000))
        let distance = Double(t < start ? start.millis - t.millis : t.millis - end.millis)
        return exp2(-distance / width)
    }
}

/// Finds the common time phrases of a query, relative to a reference time
/// (UTC days): "yesterday", "today", "last week", "this month", "last year",
/// "3 days ago", "two years ago", "in May 2023", "in May", "in 2022",
/// "on 7 May 2023", "last Friday", "recently", "last summer", "summer 2023",
/// "the summer of 2022", "in the winter".
///
/// Used as a soft boost by recall, never as a filter (filter.since/until are
/// the hard filters). No phrase: no window.
public enum TimeExpressions {
    static let day: Int64 = 86_400_000
    /// The furthest back "N units ago" reaches: 10,000 years.
    static let maxAgoDays: Int64 = 3_652_500

    public static func window(in query: String, reference: Timestamp) -> TimeWindow? {
        let words = TextTokens.words(query)
        let today = Int64((Double(reference.millis) / Double(day)).rounded(.down))
        let (year, month, _) = Timestamp.civil(fromDays: today)
        func days(_ start: Int64, _ end: Int64, _ phrase: String) -> TimeWindow {
            TimeWindow(start: Timestamp(millis: start * day), end: Timestamp(millis: end * day), phrase: phrase)
        }
        func monthWindow(_ y: Int64, _ m: Int64, _ phrase: String) -> TimeWindow {
            let start = Timestamp.days(fromCivil: y, m, 1)
            let end = m == 12 ? Timestamp.days(fromCivil: y + 1, 1, 1) : Timestamp.days(fromCivil: y, m + 1, 1)
            return days(start, end, phrase)
        }
        func yearWindow(_ y: Int64, _ phrase: String) -> TimeWindow {
            days(Timestamp.days(fromCivil: y, 1, 1), Timestamp.days(fromCivil: y + 1, 1, 1), phrase)
        }
        /// A season of year `y`: three months from its first (winter runs into the next year).
        func seasonWindow(_ y: Int64, _ season: (start: Int64, months: Int64), _ phrase: String) -> TimeWindow {
            let start = Timestamp.days(fromCivil: y, season.start, 1)
            let endMonth = season.start + season.months
            let end = endMonth > 12 ? Timestamp.days(fromCivil: y + 1, endMonth - 12, 1) : Timestamp.days(fromCivil: y, endMonth, 1)
            return days(start, end, phrase)
        }
        let weekday = (today + 3) % 7  // 0 = Monday (1970-01-01 was a Thursday)
        let weekStart = today - ((weekday + 7) % 7)

        for (i, word) in words.enumerated() {
            let next = i + 1 < words.count ? words[i + 1] : ""
            let previous = i > 0 ? words[i - 1] : ""
            switch word {
            case "yesterday": return days(today - 1, today, "yesterday")
            case "today", "tonight": return days(today, today + 1, word)
            case "recently", "lately": return days(today - 30, today + 1, word)
            default: break
            }
            if word == "last" || word == "this" || word == "past" || word == "previous" {
                let last = word != "this"
                switch next {
                case "night": return days(today - 1, today + 1, "last night")
                case "week": return last ? days(weekStart - 7, weekStart, "last week") : days(weekStart, weekStart + 7, "this week")
                case "weekend":
                    let saturday = weekStart + 5
                    return last ? days(saturday - 7, saturday - 5, "last weekend") : days(saturday, saturday + 2, "this weekend")
                case "month":
                    if !last { return monthWindow(year, month, "this month") }
                    return month == 1 ? monthWindow(year - 1, 12, "last month") : monthWindow(year, month - 1, "last month")
                case "year": return yearWindow(last ? year - 1 : year, "\(word) year")
                case "summer", "winter", "spring", "autumn", "fall":
                    let season = seasons[next]!
                    var y = year
                    if last || Timestamp.days(fromCivil: year, season.start, 1) > today { y -= 1 }
                    return seasonWindow(y, season, "\(word) \(next)")
                default:
                    if let target = weekdays[next] {
                        var back = (weekday - target + 7) % 7
                        if back == 0 || last { back = back == 0 ? 7 : back }
                        return days(today - back, today - back + 1, "\(word) \(next)")
                    }
                }
            }
            // "N days/weeks/months/years ago"
            if next == "ago" || (i + 2 < words.count && words[i + 2] == "ago" && unitDays[next] != nil) {
                let unitWord = next == "ago" ? word : next
                let countWord = next == "ago" ? previous : word
                if let unit = unitDays[unitWord] {
                    let count = Int64(countWord) ?? numberWords[countWord] ?? 1
                    // Beyond the calendar memos keeps (years 0 to 9999): no window.
                    guard count >= 0, count <= maxAgoDays / unit else { continue }
                    let center = today - count * unit
                    let half = max(1, unit / 2 * max(1, count / 2))
                    return days(center - half, center + half + 1, "\(count) \(unitWord) ago")
                }
            }
            // "in/on/during [D] Month [YYYY]", "in 2022"
            if let m = months[word] {
                let dayNumber = Int64(previous).flatMap { (1...31).contains($0) ? $0 : nil }
                    ?? Int64(next).flatMap { (1...31).contains($0) ? $0 : nil }
                let explicitYear = [next, i + 2 < words.count ? words[i + 2] : ""].compactMap { Int64($0) }.first { (1900...2099).contains($0) }
                // "may" is also a verb: a month name needs a preposition, a day or a year beside it.
                guard dayNumber != nil || explicitYear != nil || ["in", "on", "during", "since", "of", "early", "late", "mid"].contains(previous)
                else { continue }
                var y = explicitYear ?? year
                if explicitYear == nil, Timestamp.days(fromCivil: y, m, 1) > today { y -= 1 }
                if let d = dayNumber {
                    let start = Timestamp.days(fromCivil: y, m, d)
                    return days(start, start + 1, "\(d) \(word) \(y)")
                }
                return monthWindow(y, m, "\(word) \(y)")
            }
            // "summer 2023", "the summer of 2022", "in (the) winter": a season of a named year, else the latest begun.
            if let season = seasons[word], previous != "last", previous != "this", previous != "past", previous != "previous" {
                let following = [next, i + 2 < words.count ? words[i + 2] : ""]
                let explicitYear = following.compactMap { Int64($0) }.first { (1900...2099).contains($0) }
                let preposition = ["in", "during", "of", "since"].contains(previous)
                    || (previous == "the" && i >= 2 && ["in", "during", "of", "since"].contains(words[i - 2]))
                guard explicitYear != nil || preposition else { continue }
                var y = explicitYear ?? year
                if explicitYear == nil, Timestamp.days(fromCivil: y, season.start, 1) > today { y -= 1 }
                return seasonWindow(y, season, explicitYear.map { "\(word) \($0)" } ?? "in \(word)")
            }
            if let y = Int64(word), (1900...2099).contains(y), ["in", "during", "of", "since"].contains(previous) {
                return yearWindow(y, "\(previous) \(y)")
            }
        }
        return nil
    }

    /// Northern-hemisphere meteorological seasons.
    static let seasons: [String: (start: Int64, months: Int64)] = [
        "spring": (3, 3), "summer": (6, 3), "autumn": (9, 3), "fall": (9, 3), "winter": (12, 3),
    ]
    static let weekdays: [String: Int64] = [
        "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    ]
    static let months: [String: Int64] = [
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
        "september": 9, "october": 10, "november": 11, "december": 12,
    ]
    static let unitDays: [String: Int64] = [
        "day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365,
    ]
    static let numberWords: [String: Int64] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
        "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3, "several": 3,
    ]
}
