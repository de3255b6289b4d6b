import Foundation

/// A point in time as a command takes it (`--since`): a date, a date-time, Unix seconds,
/// or a duration back from now.
package enum TimeArgument {
    /// What ``parse(_:now:)`` accepts, for help texts and error messages.
    package static let accepted =
        "a date (2026-12-06, UTC midnight), a date-time (2026-12-06T10:00:00Z; without a zone, UTC), Unix seconds, "
        + "or a duration back from now (90s, 30m, 2h, 7d, 1w)"

    /// The time `text` names, or `nil` when it is none of the accepted forms.
    package static func parse(_ text: String, now: Date = Date()) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 { return Date(timeIntervalSince1970: seconds) }
        if let duration = duration(text) { return now.addingTimeInterval(-duration) }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        // A date-time without a zone is UTC, as every time HookGate prints.
        let gmt = Date.ISO8601FormatStyle(timeZone: .gmt)
        for format in [gmt.year().month().day().dateTimeSeparator(.standard).time(includingFractionalSeconds: false), gmt.year().month().day()] {
            if let date = try? Date(text, strategy: format) { return date }
        }
        return nil
    }

    /// Seconds in `text` when it is a number followed by s, m, h, d or w.
    static func duration(_ text: String) -> Double? {
        guard let unit = text.last, let count = Double(text.dropLast()), count.isFinite, count >= 0 else { return nil }
        switch unit {
        case "s": return count
        case "m": return count * 60
        case "h": return count * 3600
        case "d": return count * 86_400
        case "w": return count * 604_800
        default: return nil
        }
    }
}
