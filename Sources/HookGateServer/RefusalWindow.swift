import Foundation
import HookGateCore
import Synchronization

/// Each provider's answers over the last hour, a bucket per minute: what `/stats` and the
/// console warn about ("plaid: 96 % refused in the last hour") before a sender gives up on
/// the gate. Refused means answered neither `accepted`, `duplicate` nor a transient 503 (the
/// same split as the `HookGateRefusedShareHigh` alert in `deploy/prometheus/`).
final class RefusalWindow: Sendable {
    /// A warning is given when at least this share of a provider's answers were refusals...
    static let warningShare = 0.2
    /// ...and at least this many were.
    static let warningMinimum = 3

    private struct Bucket {
        var minute: Int64 = -1
        var answered = 0
        var refused = 0

        /// Counts one answer in `minute`, starting the bucket over when it held an older minute.
        mutating func count(minute: Int64, refused: Bool) {
            if self.minute != minute { self = Bucket(minute: minute) }
            answered += 1
            if refused { self.refused += 1 }
        }
    }

    private let buckets = Mutex([Provider: [Bucket]]())

    /// Counts one answer to `provider` at `now` (Unix seconds).
    func record(provider: Provider, outcome: String, now: Int64 = Int64(Date().timeIntervalSince1970)) {
        let refused = !Self.isAcceptedOrTransient(outcome)
        let minute = now / 60
        let index = Int(minute % 60)
        buckets.withLock { buckets in
            // Mutated in place (a copy of the list per request would cost more than the rest).
            buckets[provider, default: Array(repeating: Bucket(), count: 60)][index].count(minute: minute, refused: refused)
        }
    }

    /// Answered and refused counts of `provider` over the 60 minutes up to `now`.
    func lastHour(_ provider: Provider, now: Int64 = Int64(Date().timeIntervalSince1970)) -> (answered: Int, refused: Int) {
        let minute = now / 60
        return buckets.withLock { buckets in
            (buckets[provider] ?? []).filter { $0.minute > minute - 60 }.reduce((0, 0)) { ($0.0 + $1.answered, $0.1 + $1.refused) }
        }
    }

    /// The warnings at `now`, one per provider whose refused share is high, by provider name.
    func warnings(providers: [Provider], now: Int64 = Int64(Date().timeIntervalSince1970)) -> [String] {
        providers.sorted { $0.rawValue < $1.rawValue }.compactMap { provider in
            let (answered, refused) = lastHour(provider, now: now)
            guard refused >= Self.warningMinimum, Double(refused) >= Self.warningShare * Double(answered) else { return nil }
            let percent = Int((Double(refused) * 100 / Double(answered)).rounded())
            return "\(provider.rawValue): \(percent) % refused in the last hour (\(refused) of \(answered)); see GET /rejected"
        }
    }

    static func isAcceptedOrTransient(_ outcome: String) -> Bool {
        if outcome == "accepted" || outcome == "duplicate" { return true }
        return HookGateError.Code(rawValue: outcome)?.isTransient ?? false
    }
}
