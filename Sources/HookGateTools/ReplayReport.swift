import Foundation

/// What a ``Replay`` got back: answers by provider, and how long it took.
package struct ReplayReport: Sendable, Equatable {
    /// Provider → answer (`accepted`, `duplicate`, an error code, `HTTP <status>`, `unreachable`) → count.
    package var counts: [String: [String: Int]]
    /// Requests sent.
    package var total: Int
    /// Seconds from the first request to the last answer.
    package var elapsed: Double
    /// The base URL the requests went to.
    package var target: String
    /// Whether captures were resent as captured (then a stale or future token is expected).
    package var asCaptured: Bool

    /// A report; ``Replay/run(_:showProgress:)`` makes them.
    package init(counts: [String: [String: Int]], total: Int, elapsed: Double, target: String, asCaptured: Bool) {
        self.counts = counts
        self.total = total
        self.elapsed = elapsed
        self.target = target
        self.asCaptured = asCaptured
    }

    /// The answers a replay is expected to get: `accepted`, `duplicate`, and with
    /// ``asCaptured`` `stale_token` and `future_token` (old tokens resent).
    package func isExpected(_ answer: String) -> Bool {
        answer == "accepted" || answer == "duplicate" || (asCaptured && (answer == "stale_token" || answer == "future_token"))
    }

    /// How many answers were not expected (the command exits 1 when there are any).
    package var unexpected: Int {
        counts.values.reduce(0) { sum, answers in sum + answers.filter { !isExpected($0.key) }.values.reduce(0, +) }
    }

    /// The summary `hookgate replay` prints: a table by provider and answer, the rate, and a note per kind of trouble.
    /// - Parameter command: how the user runs HookGate (`hookgate`, `./hookgate`, `swift run hookgate`), named in the notes.
    package func summary(command: String = "hookgate") -> String {
        var rows: [[String]] = []
        var answers = Set<String>()
        for provider in counts.keys.sorted() {
            for (answer, count) in counts[provider]!.sorted(by: { $0.key < $1.key }) {
                rows.append([provider, answer, String(count)])
                answers.insert(answer)
            }
        }
        rows.append(["total", "", String(total)])
        var lines = [TextTable.render(header: ["PROVIDER", "ANSWER", "COUNT"], rows: rows)]
        lines.append(String(format: "%d requests in %.2f s (%.0f/s) to %@", total, elapsed, Double(total) / max(elapsed, 0.001), target))
        if answers.contains("stale_token") {
            lines.append(
                "note: stale_token means the token's iat is older than the gate's max_age (300 s by default)."
                    + (asCaptured
                        ? " --as-captured resends the original token, so a capture older than that is refused;"
                            + " replay without --as-captured to sign it fresh."
                        : ""))
        }
        if answers.contains("unknown_key") || answers.contains("bad_signature") {
            lines.append("note: the gate does not trust the signing key; the embedded defaults trust the development key (Keys/dev.jwks.json).")
        }
        if answers.contains("unreachable") {
            lines.append("note: unreachable means no answer from \(target); is the gate running (\(command) serve)?")
        }
        return lines.joined(separator: "\n")
    }
}
