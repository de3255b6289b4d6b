import Foundation

/// How far a copy is, after each batch: what the progress line on a terminal shows.
package struct StoreCopyProgress: Sendable {
    /// Events copied by this run so far (new ones; not those brought over again).
    package var copied: Int
    /// Events this run has to copy (those the source held when it began, past the earlier runs).
    package var total: Int
    /// Seconds since the run began.
    package var elapsed: Double

    /// One line, for a terminal: `copied 12,000 / 100,000 events (12 %), 8,123 events/s`.
    package var line: String {
        let percent = total == 0 ? 100 : copied * 100 / total
        let rate = elapsed > 0 ? Int(Double(copied) / elapsed) : 0
        return "copied \(copied.formatted()) / \(total.formatted()) events (\(percent) %), \(rate.formatted()) events/s"
    }
}
