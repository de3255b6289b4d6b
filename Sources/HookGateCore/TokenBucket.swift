/// A token bucket: `capacity` tokens, refilled continuously at `ratePerSecond`.
/// Bounds how often something may happen (key fetches per provider).
public struct TokenBucket: Sendable {
    public let capacity: Double
    public let ratePerSecond: Double
    private var tokens: Double
    private var updatedAt: Double

    /// A full bucket at time `now` (seconds, any monotonic origin).
    public init(capacity: Double, ratePerSecond: Double, now: Double) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        tokens = capacity
        updatedAt = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: Double) -> Bool {
        tokens = min(capacity, tokens + max(0, now - updatedAt) * ratePerSecond)
        updatedAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds until a token is available.
    public func secondsUntilNextToken(now: Double) -> Double {
        let current = min(capacity, tokens + max(0, now - updatedAt) * ratePerSecond)
        return current >= 1 ? 0 : (1 - current) / ratePerSecond
    }
}
