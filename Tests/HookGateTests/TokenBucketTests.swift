import HookGateCore
import Testing

/// The token bucket that bounds key fetches.
@Suite struct TokenBucketTests {
    /// Whether `take` succeeded at each of `times`, in order.
    static func takes(_ bucket: inout TokenBucket, at times: [Double]) -> [Bool] {
        times.map { bucket.take(now: $0) }
    }

    @Test func aFullBucketAllowsCapacityThenRefuses() {
        var bucket = TokenBucket(capacity: 3, ratePerSecond: 1, now: 0)
        #expect(Self.takes(&bucket, at: [0, 0, 0, 0]) == [true, true, true, false])
        #expect(bucket.secondsUntilNextToken(now: 0) == 1)
        #expect(bucket.secondsUntilNextToken(now: 0.5) == 0.5)
    }

    @Test func tokensRefillContinuouslyAtTheRate() {
        var bucket = TokenBucket(capacity: 2, ratePerSecond: 0.5, now: 100)
        // Two at once, none with half a token at 101, one more at 102 (a whole token after 2 s).
        #expect(Self.takes(&bucket, at: [100, 100, 101, 102, 102]) == [true, true, false, true, false])
        #expect(bucket.secondsUntilNextToken(now: 102) == 2)
    }

    @Test func refillStopsAtCapacity() {
        var bucket = TokenBucket(capacity: 2, ratePerSecond: 1, now: 0)
        #expect(Self.takes(&bucket, at: [0]) == [true])
        #expect(bucket.secondsUntilNextToken(now: 1_000) == 0)
        // An idle quarter of an hour does not bank more than the capacity.
        #expect(Self.takes(&bucket, at: [1_000, 1_000, 1_000]) == [true, true, false])
    }

    @Test func aClockGoingBackwardsAddsNoTokens() {
        var bucket = TokenBucket(capacity: 1, ratePerSecond: 1, now: 10)
        // Refill resumes from the earlier time, never adding tokens for the jump back.
        #expect(Self.takes(&bucket, at: [10, 5, 5.5, 6.5]) == [true, false, false, true])
    }
}
