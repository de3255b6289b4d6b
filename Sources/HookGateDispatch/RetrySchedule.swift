import HookGateCore

/// When to try again: exponential backoff from ``initial`` doubling to ``maximum``,
/// with ±20 % jitter so handlers coming back are not hit by a thundering herd, and a
/// `Retry-After` from the handler honoured (up to ``maximum``). A delivery older than
/// ``giveUpAfter`` is dead.
package struct RetrySchedule: Sendable {
    package var initial: Double
    package var maximum: Double
    package var giveUpAfter: Double

    package init(initial: Double, maximum: Double, giveUpAfter: Double) {
        self.initial = initial
        self.maximum = maximum
        self.giveUpAfter = giveUpAfter
    }

    package init(_ settings: GateConfiguration.Delivery) {
        self.init(initial: settings.initialBackoff, maximum: settings.maxBackoff, giveUpAfter: settings.giveUpAfter)
    }

    /// Seconds to wait after failed attempt number `attempt` (from 1), before jitter.
    package func baseDelay(afterAttempt attempt: Int) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        return min(maximum, initial * pow2(exponent))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) {
            value *= 2
            if value > 1e12 { break }
        }
        return value
    }

    /// What happens after failed attempt `attempt` of a delivery created at `createdAt`
    /// (Unix ms), at `now` (Unix ms).
    package func next(afterAttempt attempt: Int, createdAt: Int64, now: Int64, retryAfter: Double?) -> AttemptNext {
        let jitter = Double.random(in: 0.8...1.2)
        var delay = baseDelay(afterAttempt: attempt) * jitter
        if let retryAfter, retryAfter > delay { delay = min(retryAfter, maximum) }
        let at = now + Int64(delay * 1000)
        if Double(at - createdAt) / 1000 > giveUpAfter { return .dead }
        return .retry(at: at)
    }
}

/// The decision after a failed attempt.
package enum AttemptNext: Sendable, Equatable {
    case retry(at: Int64)
    case dead
}
