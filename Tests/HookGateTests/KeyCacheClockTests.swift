import HookGateCore
import JOSE
import Synchronization
import Testing

/// The key cache's timing rules, on an injected clock (no sleeping): negative-cache
/// expiry, refresh of known keys at most once per cooldown, and the fetch budget.
@Suite struct KeyCacheClockTests {
    /// A key source that knows `keys` and counts what it is asked.
    final class CountingSource: KeySource {
        let keys = Mutex<[String: JWK]>([:])
        let asked = Mutex<[String: Int]>([:])
        var isRemote: Bool { true }

        init(_ keys: [JWK] = []) {
            for key in keys { publish(key) }
        }

        func publish(_ key: JWK) { keys.withLock { $0[key.keyID ?? ""] = key } }

        func fetchKey(keyID: String) async throws(HookGateError) -> JWK? {
            asked.withLock { $0[keyID, default: 0] += 1 }
            return keys.withLock { $0[keyID] }
        }

        func count(_ keyID: String) -> Int { asked.withLock { $0[keyID, default: 0] } }
    }

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let time = Mutex(1_000.0)
        var now: Double { time.withLock { $0 } }
        func set(_ value: Double) { time.withLock { $0 = value } }
    }

    /// `found`, or the code `cache.key(for:)` throws for `kid`.
    static func code(_ cache: KeyCache, _ kid: String) async -> String {
        do {
            _ = try await cache.key(for: kid)
            return "found"
        } catch {
            return error.code.rawValue
        }
    }

    @Test func unknownKidIsNegativelyCachedUntilTheCooldownEnds() async {
        let source = CountingSource()
        let clock = ManualClock()
        let figures = GateFigures()
        let cache = KeyCache(provider: .plaid, source: source, cooldown: 60, metrics: figures, clock: { clock.now })
        #expect(await Self.code(cache, "ghost") == "unknown_key")
        #expect(source.count("ghost") == 1)
        clock.set(1_059)
        #expect(await Self.code(cache, "ghost") == "unknown_key")
        #expect(source.count("ghost") == 1, "answered from the negative cache")
        #expect(figures.counter("hookgate_key_negative_cache_hits_total", [("provider", "plaid")]) == 1)
        clock.set(1_060)
        #expect(await Self.code(cache, "ghost") == "unknown_key")
        #expect(source.count("ghost") == 2, "asked again once the cooldown is over")
        #expect(figures.counter("hookgate_key_negative_cache_hits_total", [("provider", "plaid")]) == 1)
    }

    @Test func aKidPublishedLaterIsFoundOnceTheCooldownEnds() async throws {
        let source = CountingSource()
        let clock = ManualClock()
        let figures = GateFigures()
        let cache = KeyCache(provider: .plaid, source: source, cooldown: 60, metrics: figures, clock: { clock.now })
        #expect(await Self.code(cache, "late") == "unknown_key")
        source.publish(try P256PrivateKey.generate().publicJWK(keyID: "late"))
        clock.set(1_030)
        #expect(await Self.code(cache, "late") == "unknown_key")
        clock.set(1_060)
        #expect(await Self.code(cache, "late") == "found")
        clock.set(5_000)
        #expect(await Self.code(cache, "late") == "found")
        #expect(source.count("late") == 2, "asked once before, once after publication; then cached")
    }

    @Test func knownKeysAreRefreshedAtMostOncePerCooldown() async throws {
        let known = try P256PrivateKey.generate().publicJWK(keyID: "known")
        let source = CountingSource([known])
        let clock = ManualClock()
        let figures = GateFigures()
        let cache = KeyCache(provider: .plaid, source: source, initialKeys: [known], cooldown: 60, metrics: figures, clock: { clock.now })
        #expect(await Self.code(cache, "known") == "found")
        #expect(figures.counter("hookgate_key_fetches_total", [("provider", "plaid")]) == 0, "an initial key needs no fetch")
        // The first unknown kid fetches it and refreshes the known key (fetches are counted when started).
        #expect(await Self.code(cache, "new-1") == "unknown_key")
        #expect(figures.counter("hookgate_key_fetches_total", [("provider", "plaid")]) == 2)
        clock.set(1_030)
        #expect(await Self.code(cache, "new-2") == "unknown_key")
        #expect(figures.counter("hookgate_key_fetches_total", [("provider", "plaid")]) == 3, "no second refresh within the cooldown")
        clock.set(1_061)
        #expect(await Self.code(cache, "new-3") == "unknown_key")
        #expect(figures.counter("hookgate_key_fetches_total", [("provider", "plaid")]) == 5, "refreshed again after the cooldown")
        #expect(await eventually(seconds: 5) { source.count("known") == 2 })
    }

    @Test func theFetchBudgetRefillsWithTime() async {
        let source = CountingSource()
        let clock = ManualClock()
        // Two fetches per minute: a bucket of 2, one token back every 30 s.
        let figures = GateFigures()
        let cache = KeyCache(provider: .plaid, source: source, cooldown: 60, maxFetchesPerMinute: 2, metrics: figures, clock: { clock.now })
        #expect(await Self.code(cache, "a") == "unknown_key")
        #expect(await Self.code(cache, "b") == "unknown_key")
        do {
            _ = try await cache.key(for: "c")
            Issue.record("a third fetch in the same instant must be refused")
        } catch {
            #expect(error.code == .keyUnavailable)
            #expect(error.retryAfter == 31)  // 30 s to the next token, plus one
        }
        clock.set(1_029)
        #expect(await Self.code(cache, "c") == "key_unavailable")
        clock.set(1_031)
        #expect(await Self.code(cache, "c") == "unknown_key")
        #expect(source.count("c") == 1)
        let statistics = (
            rateLimited: figures.counter("hookgate_key_fetches_rate_limited_total", [("provider", "plaid")]),
            fetches: figures.counter("hookgate_key_fetches_total", [("provider", "plaid")])
        )
        #expect(statistics.rateLimited == 2 && statistics.fetches == 3)
    }
}
