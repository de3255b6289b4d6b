import Foundation

/// Formatting for the per-request log line, without Foundation's `String(format:)` (the
/// log line is written for every webhook at the default level).
package enum RequestLineFormat {
    /// `elapsed` in milliseconds with three decimals, e.g. `1.234`.
    package static func milliseconds(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let fraction = micros % 1000
        let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(micros / 1000).\(padding)\(fraction)"
    }

    /// A duration as a log line's metadata value: its text is ``milliseconds(_:)``'s (so the
    /// text log is unchanged), a number the JSON log writes unquoted.
    package struct Milliseconds: CustomStringConvertible, Sendable {
        /// The duration.
        package let elapsed: Duration

        /// `elapsed`, for a log line.
        package init(_ elapsed: Duration) {
            self.elapsed = elapsed
        }

        /// `elapsed` in milliseconds with three decimals, e.g. `1.234`.
        package var description: String { RequestLineFormat.milliseconds(elapsed) }
    }
}
