#if canImport(Glibc)
import Glibc
#endif

/// A point in time as milliseconds since the Unix epoch (UTC).
///
/// Stored as an integer in SQLite and written as ISO 8601 on the wire
/// (`2023-05-08T13:56:00.000Z`). Parsing accepts a date alone, or a date and
/// time with optional seconds, fraction and offset (`Z`, `+02:00`, `-0500`).
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millis: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    /// The earliest and latest times memos stores and prints: years 0000
    /// to 9999, what four-digit ISO 8601 can write.
    public static let earliest = Timestamp(millis: Timestamp.days(fromCivil: 0, 1, 1) * 86_400_000)
    public static let latest = Timestamp(millis: Timestamp.days(fromCivil: 10_000, 1, 1) * 86_400_000 - 1)

    /// This time moved by `seconds`, saturating at `earliest` and `latest`
    /// (never a trap, whatever the number; NaN moves nothing). Callers that
    /// take a duration from a client check its range first and say so.
    public func adding(seconds: Double) -> Timestamp {
        guard !seconds.isNaN else { return self }
        let span = Double(Timestamp.latest.millis - Timestamp.earliest.millis)
        let delta = (seconds * 1000).rounded()
        if delta >= span { return Timestamp.latest }
        if delta <= -span { return Timestamp.earliest }
        return Timestamp(millis: millis).clamped(adding: Int64(delta))
    }

    /// `millis + delta` kept within earliest...latest (overflow-free).
    private func clamped(adding delta: Int64) -> Timestamp {
        let (sum, overflow) = millis.addingReportingOverflow(delta)
        if overflow { return delta > 0 ? Timestamp.latest : Timestamp.earliest }
        return Timestamp(millis: min(max(sum, Timestamp.earliest.millis), Timestamp.latest.millis))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }

    public var description: String { iso8601 }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always UTC.
    public var iso8601: String {
        // Floor division without overflow for every Int64.
        var msOfDay = millis % 86_400_000
        var days = millis / 86_400_000
        if msOfDay < 0 {
            msOfDay += 86_400_000
            days -= 1
        }
        let (y, m, d) = Timestamp.civil(fromDays: days)
        let h = msOfDay / 3_600_000, mi = msOfDay / 60_000 % 60
        let s = msOfDay / 1000 % 60, ms = msOfDay % 1000
        func pad(_ v: Int64, _ width: Int) -> String {
            let text = String(v)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    /// Parses ISO 8601 / RFC 3339; nil when the text is not a valid time.
    public init?(iso8601 text: String) {
        var p = Scanner8601(Array(text.utf8))
        guard let y = p.digits(4), p.expect(UInt8(ascii: "-")), let mo = p.digits(2),
              p.expect(UInt8(ascii: "-")), let d = p.digits(2),
              (1...12).contains(mo), d >= 1, d <= Timestamp.daysIn(month: mo, year: y)
        else { return nil }
        var seconds = Int64(0), fractionMillis = Int64(0), offsetMinutes = Int64(0)
        if p.expect(UInt8(ascii: "T")) || p.expect(UInt8(ascii: "t")) || p.expect(UInt8(ascii: " ")) {
            guard let h = p.digits(2), p.expect(UInt8(ascii: ":")), let mi = p.digits(2),
                  h < 24, mi < 60 else { return nil }
            seconds = h * 3600 + mi * 60
            if p.expect(UInt8(ascii: ":")) {
                guard let s = p.digits(2), s < 61 else { return nil }
                seconds += min(s, 59)
                if p.expect(UInt8(ascii: ".")) || p.expect(UInt8(ascii: ",")) {
                    var scale = Int64(100), count = 0
                    while let digit = p.digit() {
                        fractionMillis += digit * scale
                        scale /= 10
                        count += 1
                    }
                    if count == 0 { return nil }
                }
            }
            if p.expect(UInt8(ascii: "Z")) || p.expect(UInt8(ascii: "z")) {
            } else if let sign = p.sign() {
                guard let oh = p.digits(2), oh < 24 else { return nil }
                _ = p.expect(UInt8(ascii: ":"))
                guard let om = p.digits(2), om < 60 else { return nil }
                offsetMinutes = sign * (oh * 60 + om)
            }
        }
        guard p.atEnd else { return nil }
        let days = Timestamp.days(fromCivil: y, mo, d)
        millis = (days * 86_400 + seconds - offsetMinutes * 60) * 1000 + fractionMillis
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Timestamp: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let t = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not an ISO 8601 time (e.g. 2024-05-08T13:56:00Z)")
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso8601)
    }
}

/// A cursor over ASCII bytes for the ISO 8601 parser.
private struct Scanner8601 {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int64? {
        guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - 48)
    }

    mutating func digits(_ count: Int) -> Int64? {
        var value = Int64(0)
        for _ in 0..<count {
            guard let d = digit() else { return nil }
            value = value * 10 + d
        }
        return value
    }

    mutating func sign() -> Int64? {
        if expect(UInt8(ascii: "+")) { return 1 }
        if expect(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}
