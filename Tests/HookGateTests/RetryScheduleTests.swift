import HookGateDispatch
import Testing

/// The backoff arithmetic, the jitter bounds, `Retry-After` and giving up.
@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule(initial: 5, maximum: 60, giveUpAfter: 600)

    @Test func baseDelayDoublesFromInitialUpToTheMaximum() {
        #expect(schedule.baseDelay(afterAttempt: 1) == 5)
        #expect(schedule.baseDelay(afterAttempt: 2) == 10)
        #expect(schedule.baseDelay(afterAttempt: 3) == 20)
        #expect(schedule.baseDelay(afterAttempt: 4) == 40)
        #expect(schedule.baseDelay(afterAttempt: 5) == 60)
        #expect(schedule.baseDelay(afterAttempt: 0) == 5)  // attempts count from 1; below is clamped
        #expect(schedule.baseDelay(afterAttempt: 10_000) == 60)  // no overflow on absurd attempt numbers
    }

    @Test func retriesAreJitteredWithinTwentyPercent() {
        var seen = Set<Int64>()
        for _ in 0..<200 {
            guard case .retry(let at) = schedule.next(afterAttempt: 2, createdAt: 0, now: 1_000, retryAfter: nil) else {
                Issue.record("a young delivery must be retried")
                return
            }
            #expect((1_000 + 8_000)...(1_000 + 12_000) ~= at)  // 10 s ± 20 %
            seen.insert(at)
        }
        #expect(seen.count > 1, "the delay is jittered")
    }

    @Test func retryAfterLongerThanTheBackoffIsHonouredUpToTheMaximum() {
        #expect(schedule.next(afterAttempt: 1, createdAt: 0, now: 0, retryAfter: 30) == .retry(at: 30_000))
        #expect(schedule.next(afterAttempt: 1, createdAt: 0, now: 0, retryAfter: 3_600) == .retry(at: 60_000))
        guard case .retry(let at) = schedule.next(afterAttempt: 1, createdAt: 0, now: 0, retryAfter: 1) else {
            Issue.record("a young delivery must be retried")
            return
        }
        #expect(4_000...6_000 ~= at, "a shorter Retry-After does not shorten the backoff")
    }

    @Test func aDeliveryWhoseNextAttemptFallsPastGiveUpAfterIsDead() {
        // Created at 0, giving up after 600 s: at 597 s a retry at least 4 s later is past it.
        #expect(schedule.next(afterAttempt: 1, createdAt: 0, now: 597_000, retryAfter: nil) == .dead)
        #expect(schedule.next(afterAttempt: 1, createdAt: 0, now: 500_000, retryAfter: nil) != .dead)
        // A Retry-After can push the next attempt past the limit too.
        #expect(schedule.next(afterAttempt: 1, createdAt: 0, now: 550_000, retryAfter: 60) == .dead)
    }
}
