import Foundation
import HookGateCore
import HookGateServer
import HookGateTools

/// `hookgate stats`' two ways of writing the document: the table for people (a terminal,
/// or no `--watch`), and one `key=value` line per refresh for a `--watch` into a pipe or a file.
extension StatsDocument {
    /// One refresh as one line of `key=value` pairs (for `--watch` into a pipe or a file):
    /// the time, intake totals, deliveries by state (the store's state names), latency and
    /// store; with `previous`, rates per second since it.
    func line(previous: (StatsDocument, Double)?, at time: Date) -> String {
        let document = self
        let figures = document.providers.values
        let received = figures.map(\.received).reduce(0, +)
        var pairs: [(String, String)] = [
            ("time", time.formatted(Date.ISO8601FormatStyle())), ("received", String(received)),
            ("accepted", String(figures.map(\.accepted).reduce(0, +))), ("duplicates", String(figures.map(\.duplicates).reduce(0, +))),
            ("rejected", String(figures.map { $0.rejected.values.reduce(0, +) }.reduce(0, +))),
        ]
        for status in DeliveryStatus.allCases { pairs.append((status.rawValue, String(document.deliveries[status]))) }
        pairs.append(("oldest_pending_seconds", String(format: "%.1f", document.deliveries.oldestPendingSeconds)))
        let latency = document.intakeLatencyMs
        pairs += [("p50_ms", String(format: "%.2f", latency.p50)), ("p99_ms", String(format: "%.2f", latency.p99))]
        pairs += [("events", String(document.store.events)), ("store_bytes", String(document.store.bytes))]
        if let (before, seconds) = previous, seconds > 0 {
            let receivedBefore = before.providers.values.map(\.received).reduce(0, +)
            pairs.append(("received_per_second", String(format: "%.1f", Double(received - receivedBefore) / seconds)))
            pairs.append(
                ("delivered_per_second", String(format: "%.1f", Double(document.deliveries.delivered - before.deliveries.delivered) / seconds)))
        }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// The table; with `previous`, a rate column per second since it.
    func table(previous: (StatsDocument, Double)?) -> String {
        let document = self
        var lines = [
            "HookGate \(document.version), up \(Self.duration(document.uptimeSeconds)) (intake and keys: since start; deliveries and store: database totals)"
        ]
        var header = ["PROVIDER", "RECEIVED", "ACCEPTED", "DUPLICATES", "REJECTED"]
        if previous != nil { header.append("RECEIVED/S") }
        header.append("REJECTIONS")
        let rows = document.providers.keys.sorted().map { name -> [String] in
            let figures = document.providers[name]!
            var row = [
                name, String(figures.received), String(figures.accepted), String(figures.duplicates), String(figures.rejected.values.reduce(0, +)),
            ]
            if let (before, seconds) = previous, seconds > 0 {
                let earlier = before.providers[name]?.received ?? 0
                row.append(String(format: "%.1f", Double(figures.received - earlier) / seconds))
            }
            let reasons = figures.rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            row.append(reasons.isEmpty ? "-" : reasons)
            return row
        }
        lines.append(TextTable.render(header: header, rows: rows))
        let keys = document.keys
        lines.append(
            "keys:        cached \(keys.cached), fetches \(keys.fetches), fetch failures \(keys.fetchFailures), negative-cache hits \(keys.negativeHits), rate-limited \(keys.rateLimited)"
        )
        let d = document.deliveries
        var deliveries =
            "deliveries:  pending \(d.pending), retrying \(d.retrying), in flight \(d.inFlight), delivered \(d.delivered), dead \(d.dead), oldest pending \(Self.duration(d.oldestPendingSeconds))"
        if let (before, seconds) = previous, seconds > 0 {
            deliveries += String(format: ", %.1f delivered/s", Double(d.delivered - before.deliveries.delivered) / seconds)
        }
        lines.append(deliveries)
        let l = document.intakeLatencyMs
        lines.append(String(format: "latency ms:  p50 %.2f, p90 %.2f, p99 %.2f, max %.2f (last %d requests)", l.p50, l.p90, l.p99, l.max, l.window))
        lines.append("store:       \(document.store.events) events, \(Self.bytes(document.store.bytes))")
        if let q = document.quarantine {
            var line =
                q.enabled
                ? "quarantine:  \(q.requests) refused requests kept, \(Self.bytes(q.bytes)) of \(Self.bytes(q.maxBytes))"
                : q.requests > 0 ? "quarantine:  off, \(q.requests) refused requests still kept" : "quarantine:  off"
            let dropped = q.dropped.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            if !dropped.isEmpty { line += ", dropped since start: \(dropped.joined(separator: ", "))" }
            lines.append(line)
        }
        for warning in document.warnings ?? [] { lines.append("warning:     \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// `seconds` as `12.3s`, `4m5s` or `6h7m`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let total = Int(seconds)
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\((total % 3600) / 60)m"
    }

    /// `count` bytes in B, KiB, MiB or GiB.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
