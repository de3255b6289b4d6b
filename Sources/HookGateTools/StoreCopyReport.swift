import Foundation
import HookGateCore

/// What a run of ``StoreCopy`` did and found: the summary table (counts per table, both sides),
/// what the source gained or changed while it ran, and every difference between the two.
package struct StoreCopyReport: Sendable {
    /// The source's identity.
    package var source: String
    /// Events copied by this run.
    package var copied = 0
    /// Events copied by earlier runs and brought over again because their deliveries changed.
    package var broughtOverAgain = 0
    /// Seconds the copy took (without the check).
    package var seconds = 0.0
    /// Of those, seconds spent reading new events from the source.
    package var readSeconds = 0.0
    /// Of those, seconds spent writing new events to the target.
    package var writeSeconds = 0.0
    /// The source's counts, up to the last event row copied.
    package var sourceCensus = StoreCensus()
    /// The target's counts.
    package var targetCensus = StoreCensus()
    /// Per provider: the digest of the event ids on the source and on the target.
    package var digests: [String: (String, String)] = [:]
    /// Events the source gained after the run began (a gate still running on it).
    package var committedAfterStart = 0
    /// Deliveries of copied events that changed on the source after the run began.
    package var changedAfterStart = 0
    /// Rejected requests (the quarantine) copied by this run, and the highest id copied.
    package var rejectedCopied = 0
    package var rejectedThrough: Int64 = 0
    /// Rejected requests with ids up to ``rejectedThrough`` on each side.
    package var rejectedCounts: (source: Int, target: Int) = (0, 0)
    /// Every difference the check found; empty when the target matches the source.
    package var differences: [String] = []

    /// A report for a copy of `source`.
    package init(source: String) {
        self.source = source
    }

    /// Events copied per second.
    package var rate: Double { seconds > 0 ? Double(copied) / seconds : 0 }

    /// The summary: a table of counts per table, both sides, then what to do next, if anything.
    package var text: String {
        var rows: [[String]] = []
        for provider in Set(sourceCensus.events.keys).union(targetCensus.events.keys).sorted() {
            let digest = digests[provider].map { $0.0 == $0.1 ? "ids match" : "IDS DIFFER" } ?? ""
            rows.append([
                "events (\(provider))", "\(sourceCensus.events[provider, default: 0])", "\(targetCensus.events[provider, default: 0])", digest,
            ])
        }
        for status in DeliveryStatus.allCases where status != .inFlight {
            rows.append([
                "deliveries \(status)", "\(sourceCensus.deliveries[status, default: 0])", "\(targetCensus.deliveries[status, default: 0])", "",
            ])
        }
        rows.append(["attempt records", "\(sourceCensus.attempts)", "\(targetCensus.attempts)", ""])
        rows.append(["keys", "\(sourceCensus.keys)", "\(targetCensus.keys)", ""])
        rows.append(["rejected requests", "\(rejectedCounts.source)", "\(rejectedCounts.target)", ""])
        // The last column is empty but for events: no padding left at the ends of the lines.
        let table = TextTable.render(header: ["table", "source", "target", ""], rows: rows).split(separator: "\n").map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }
        var lines = table
        let rateText = copied > 0 ? String(format: ", %.0f events/s (reading %.1f s, writing %.1f s)", rate, readSeconds, writeSeconds) : ""
        lines.append(
            "copied \(copied) events in \(String(format: "%.1f", seconds)) s\(rateText)"
                + (broughtOverAgain > 0 ? "; brought \(broughtOverAgain) earlier events over again (their deliveries changed)" : ""))
        if committedAfterStart > 0 || changedAfterStart > 0 {
            lines.append(
                "the source changed while the copy ran: \(committedAfterStart) events committed after it began, "
                    + "\(changedAfterStart) deliveries changed; stop the gate and run again with --since-last to bring them over")
        }
        if differences.isEmpty {
            lines.append("check: the target matches the source")
        } else {
            lines.append("check FAILED: " + differences.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }
}
