import CoreMetrics
import Foundation
import JOSE
import Logging
import Synchronization

/// The verification keys of one provider, keyed by `kid`.
///
/// A missing key is fetched from the ``KeySource``; concurrent requests for one
/// `kid` share one fetch; a `kid` the source does not know is negatively cached for
/// ``cooldown`` seconds; fetches are rate-limited by a token bucket, so a flood of
/// random `kid`s causes a bounded number of outbound requests (the excess is answered
/// `key_unavailable`, which the sender retries). On an unknown `kid`, the cached keys
/// that are not expired are refreshed at most once per cooldown (Plaid's recipe), so
/// a key whose `expired_at` becomes set is rejected from then on. Fetched keys are
/// saved through ``KeyStore``, and an unknown `kid` is looked up there before the source is
/// asked: on a shared database, one gate's fetch serves every gate.
public actor KeyCache {
    /// A key ready to verify with.
    public struct Entry: Sendable {
        public let jwk: JWK
        public let publicKey: P256PublicKey
    }

    /// What looking an unknown `kid` up found: a key saved by another gate (`shared`), a
    /// fetched key, or nothing.
    struct Lookup: Sendable {
        var jwk: JWK?
        var shared: Bool
    }

    /// The figures a key cache emits (through swift-metrics, labelled by provider).
    struct Meters: Sendable {
        /// Key fetches started (on an unknown `kid`, and refreshes of known keys).
        let fetches: Counter
        /// Fetches that failed for a reason other than the token's (`key_unavailable`).
        let fetchFailures: Counter
        /// Unknown `kid`s answered from the negative cache.
        let negativeHits: Counter
        /// Fetches refused because the fetch budget was spent.
        let rateLimited: Counter
        /// Keys in the cache.
        let cached: Meter

        init(provider: Provider, factory: any MetricsFactory) {
            let dimensions = [("provider", provider.rawValue)]
            fetches = Counter(label: "hookgate_key_fetches_total", dimensions: dimensions, factory: factory)
            fetchFailures = Counter(label: "hookgate_key_fetch_failures_total", dimensions: dimensions, factory: factory)
            negativeHits = Counter(label: "hookgate_key_negative_cache_hits_total", dimensions: dimensions, factory: factory)
            rateLimited = Counter(label: "hookgate_key_fetches_rate_limited_total", dimensions: dimensions, factory: factory)
            cached = Meter(label: "hookgate_key_cache_keys", dimensions: dimensions, factory: factory)
        }
    }

    public nonisolated let provider: Provider
    public nonisolated let cooldown: Double
    /// Whether each cached key gets a fixed-key ES256 table, built in the background.
    public nonisolated let precomputesTables: Bool
    private let source: any KeySource
    private let persistence: (any KeyStore)?
    private let logger: Logger
    private let clock: @Sendable () -> Double
    private var keys: [String: Entry] = [:] {
        didSet { published.withLock { $0 = keys } }
    }
    /// A copy of ``keys`` readable without entering the actor: a cache hit (nearly every
    /// webhook) costs a lock, not an actor hop.
    private nonisolated let published = Mutex<[String: Entry]>([:])
    private var negative: [String: Double] = [:]
    private var inflight: [String: Task<Lookup, any Error>] = [:]
    private var bucket: TokenBucket
    private var lastRefresh = -Double.infinity
    private let meters: Meters

    /// Creates a cache.
    /// - Parameters:
    ///   - initialKeys: keys known at start (a pinned set, or keys saved by an earlier run).
    ///   - maxFetchesPerMinute: the token bucket's size and refill per minute.
    ///   - metrics: where the cache's figures go (the gate's ``GateFigures``; labels `hookgate_key_*`).
    ///   - precomputeTables: give every cached key a fixed-key ES256 table (JOSE's
    ///     `FixedKeyVerifier`), built on a background queue. For the long-running gate
    ///     only: a short-lived command would exit while a table is being built, and
    ///     OpenSSL's exit handler tears down what that build is using.
    public init(
        provider: Provider, source: any KeySource, initialKeys: [JWK] = [], persistence: (any KeyStore)? = nil,
        cooldown: Double = 60, maxFetchesPerMinute: Int = 30, metrics: any MetricsFactory = MetricsSystem.factory,
        precomputeTables: Bool = false,
        logger: Logger = Logger(label: "hookgate.keys"),
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.provider = provider
        self.precomputesTables = precomputeTables
        self.source = source
        self.persistence = persistence
        self.cooldown = cooldown
        self.logger = logger
        self.clock = clock
        meters = Meters(provider: provider, factory: metrics)
        bucket = TokenBucket(capacity: Double(maxFetchesPerMinute), ratePerSecond: Double(maxFetchesPerMinute) / 60, now: clock())
        var counts: [String: Int] = [:]
        for key in initialKeys { counts[key.keyID ?? "", default: 0] += 1 }
        for key in initialKeys {
            guard let kid = key.keyID, !kid.isEmpty else { continue }
            guard counts[kid] == 1 else {
                logger.error(
                    "key set holds \(counts[kid]!) keys with one kid; refusing that kid", metadata: ["provider": "\(provider)", "kid": "\(kid)"])
                continue
            }
            do {
                keys[kid] = Entry(jwk: key, publicKey: try key.publicKey())
            } catch {
                logger.error("ignoring unusable key", metadata: ["provider": "\(provider)", "kid": "\(kid)", "reason": "\(error.reason)"])
            }
        }
        meters.cached.set(keys.count)
        published.withLock { [keys] in $0 = keys }  // observers do not run in an initializer
        if precomputeTables {
            for entry in keys.values { entry.publicKey.prepareFixedKeyVerifierInBackground() }
        }
    }

    /// The key for `keyID`, fetched if needed.
    /// - Throws: ``HookGateError`` `unknown_key` (the source does not know it, or it is
    ///   unusable), `expired_key` (its `expired_at` is set), or `key_unavailable` (the
    ///   source cannot be asked now, or the fetch budget is spent).
    public func key(for keyID: String) async throws(HookGateError) -> Entry {
        if let entry = keys[keyID] { return try KeyCache.usable(entry) }
        let now = clock()
        if let until = negative[keyID] {
            if until > now {
                meters.negativeHits.increment()
                throw HookGateError(.unknownKey, "kid \(keyID) is unknown to the \(provider) key source (cached answer)")
            }
            negative[keyID] = nil
        }
        guard source.isRemote else {
            throw HookGateError(.unknownKey, "kid \(keyID) is not among the pinned \(provider) keys")
        }
        let task: Task<Lookup, any Error>
        if let running = inflight[keyID] {
            task = running
        } else {
            guard bucket.take(now: now) else {
                meters.rateLimited.increment()
                let wait = Int(bucket.secondsUntilNextToken(now: now).rounded(.up)) + 1
                throw HookGateError(.keyUnavailable, "\(provider) key fetch budget spent; not fetching kid \(keyID) now", retryAfter: max(wait, 5))
            }
            let source = self.source
            let persistence = self.persistence
            let provider = self.provider
            let fetches = meters.fetches
            task = Task {
                if let persistence, let shared = try? await persistence.savedKey(provider: provider, keyID: keyID) {
                    return Lookup(jwk: shared, shared: true)
                }
                fetches.increment()
                return Lookup(jwk: try await source.fetchKey(keyID: keyID), shared: false)
            }
            inflight[keyID] = task
            refreshKnownKeysIfDue(now: now)
        }
        let result: Result<Lookup, HookGateError>
        do {
            result = .success(try await task.value)
        } catch let error as HookGateError {
            result = .failure(error)
        } catch {
            result = .failure(HookGateError(.keyUnavailable, "key fetch failed: \(error)", retryAfter: 30))
        }
        if inflight[keyID] == task { inflight[keyID] = nil }
        if let entry = keys[keyID] { return try KeyCache.usable(entry) }  // another waiter stored it
        switch result {
        case .failure(let error):
            if error.code == .keyUnavailable { meters.fetchFailures.increment() }
            logger.warning("key fetch failed", metadata: ["provider": "\(provider)", "kid": "\(keyID)", "reason": "\(error.reason)"])
            throw error
        case .success(let lookup):
            guard let jwk = lookup.jwk else {
                negative[keyID] = clock() + cooldown
                throw HookGateError(.unknownKey, "the \(provider) key source does not know kid \(keyID)")
            }
            let entry: Entry
            do {
                entry = Entry(jwk: jwk, publicKey: try jwk.publicKey())
            } catch {
                negative[keyID] = clock() + cooldown
                throw HookGateError(.unknownKey, "the \(provider) key source returned an unusable key for kid \(keyID): \(error.reason)")
            }
            store(entry, kid: keyID, save: !lookup.shared)
            return try KeyCache.usable(entry)
        }
    }

    /// The cached key for `keyID`, without entering the actor; `nil` when it is not cached
    /// (then ``key(for:)`` fetches it).
    /// - Throws: ``HookGateError`` `expired_key` when the cached key's `expired_at` is set.
    public nonisolated func cachedKey(for keyID: String) throws(HookGateError) -> Entry? {
        guard let entry = published.withLock({ $0[keyID] }) else { return nil }
        return try KeyCache.usable(entry)
    }

    private static func usable(_ entry: Entry) throws(HookGateError) -> Entry {
        try KeyCache.requireCurrent(entry.jwk)
        return entry
    }

    /// Refuses a key whose `expired_at` is set, as the gate does (also `hookgate verify`).
    /// - Throws: ``HookGateError`` `expired_key`.
    public static func requireCurrent(_ jwk: JWK) throws(HookGateError) {
        if let expiredAt = jwk.expiredAt {
            throw HookGateError(.expiredKey, "kid \(jwk.keyID ?? "?") expired at \(expiredAt)")
        }
    }

    /// Caches `entry` and, with ``precomputesTables``, has its fixed-key table built in the
    /// background (the first verifies with a new key use OpenSSL's standard verify meanwhile).
    private func store(_ entry: Entry, kid: String, save: Bool = true) {
        keys[kid] = entry
        if precomputesTables { entry.publicKey.prepareFixedKeyVerifierInBackground() }
        meters.cached.set(keys.count)
        if save, let persistence {
            let jwk = entry.jwk
            let provider = self.provider
            let logger = self.logger
            Task {
                do { try await persistence.saveKey(jwk, provider: provider) } catch {
                    logger.error("could not save key", metadata: ["provider": "\(provider)", "kid": "\(kid)", "error": "\(error)"])
                }
            }
        }
    }

    /// Plaid's recipe: on an unknown kid, refetch every cached key whose `expired_at`
    /// is still null, so rotations are learned. At most once per cooldown.
    private func refreshKnownKeysIfDue(now: Double) {
        guard now - lastRefresh >= cooldown else { return }
        let current = keys.filter { $0.value.jwk.expiredAt == nil }.map(\.key)
        guard !current.isEmpty else { return }
        lastRefresh = now
        let source = self.source
        for kid in current {
            meters.fetches.increment()
            Task {
                let refreshed = try? await source.fetchKey(keyID: kid)
                self.apply(refreshed: refreshed, kid: kid)
            }
        }
    }

    private func apply(refreshed: JWK?, kid: String) {
        guard let refreshed, refreshed.keyID == kid, var publicKey = try? refreshed.publicKey() else { return }
        if refreshed != keys[kid]?.jwk {
            // Same point (a rotation only set expired_at): keep the key and its table.
            if let cached = keys[kid]?.publicKey, cached.uncompressedPoint == publicKey.uncompressedPoint { publicKey = cached }
            logger.info(
                "key refreshed",
                metadata: ["provider": "\(provider)", "kid": "\(kid)", "expired_at": "\(refreshed.expiredAt.map(String.init) ?? "null")"])
            store(Entry(jwk: refreshed, publicKey: publicKey), kid: kid)
        }
    }
}
