import Foundation
import HookGateCore

/// How `hookgate rejected` writes the quarantine for people: the list as a table, one
/// request, a bulk recovery's tally. What a refused request carries came from anyone who
/// could reach the gate, so control characters in it (a terminal's escape sequences) are
/// shown escaped (`\u{1B}`), never written raw to the terminal.
package enum RejectedReport {
    /// The table of `rejected list`, newest first; `more`: older requests match too.
    package static func table(_ rejected: [RejectedSummary], more: Bool) -> String {
        guard !rejected.isEmpty else { return "no rejected requests" }
        let rows = rejected.map { request -> [String] in
            [
                String(request.id), time(request.receivedAt), request.provider, request.reason, request.clientIp.map { printable($0) } ?? "-",
                request.recovery.map(recovery) ?? "-",
            ]
        }
        var text = TextTable.render(header: ["ID", "RECEIVED", "PROVIDER", "REASON", "CLIENT", "RECOVERED"], rows: rows)
        if more { text += "\n(older requests match too: raise --limit, or narrow with --provider, --reason or --since)" }
        return text
    }

    /// One rejected request: what was refused and why, its recovery, its headers (masked by
    /// the gate), then its body.
    package static func document(_ request: RejectedDocument) -> String {
        var lines = ["rejected request \(request.id): \(request.provider) \(request.reason)"]
        lines.append(
            "received:   \(time(request.receivedAt)) from \(request.clientIp.map { printable($0) } ?? "-") (request \(printable(request.requestId)))")
        lines.append("path:       \(printable(request.path))")
        lines.append("recovered:  \(request.recovery.map(recovery) ?? "no")")
        let size = request.body.map { $0.utf8.count } ?? request.bodyBase64.flatMap { Data(base64Encoded: $0)?.count } ?? 0
        lines.append("body:       \(size) bytes, sha256 \(request.bodySha256)")
        lines.append("headers:    (credentials shown as their first 8 characters and …; cookies dropped)")
        for pair in request.headers where pair.count == 2 { lines.append("  \(printable(pair[0])): \(printable(pair[1]))") }
        lines.append("---")
        lines.append(request.body.map { printable($0, keepingLines: true) } ?? "(binary body, base64) \(request.bodyBase64 ?? "")")
        return lines.joined(separator: "\n")
    }

    /// What one recovery did, as a sentence for `rejected recover ID`.
    package static func outcome(_ id: Int64, status: String, eventID: String) -> String {
        switch status {
        case "accepted": return "rejected request \(id) recovered: accepted as event \(eventID), stored and fanned out with its original receipt time"
        case "duplicate": return "rejected request \(id) recovered: duplicate of event \(eventID), already stored (not fanned out again)"
        default: return "rejected request \(id) recovered: \(status), event \(eventID)"
        }
    }

    /// A bulk recovery's tally, as `rejected recover --provider …` prints it.
    package static func tally(_ tally: RecoveryTally) -> String {
        guard tally.examined > 0 else { return "nothing to recover: no rejected request matches that is not recovered yet" }
        let refused = tally.refused.values.reduce(0, +)
        var line = "examined \(tally.examined): \(tally.accepted) accepted, \(tally.duplicate) duplicate, \(refused) still refused"
        if refused > 0 {
            line += " (" + tally.refused.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")"
        }
        return line
    }

    /// A recovery as a cell: outcome, event id, route and time.
    static func recovery(_ recovery: RejectedRequest.Recovery) -> String {
        "\(recovery.outcome.rawValue) \(recovery.eventID) (\(recovery.via), \(time(recovery.at)))"
    }

    /// Unix milliseconds as ISO 8601 UTC.
    static func time(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }

    /// `text` with its control characters (all of them, or all but newline and tab) written as `\u{..}`.
    static func printable(_ text: String, keepingLines: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let kept = keepingLines && (scalar == "\n" || scalar == "\t")
            if !kept && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
