import CoreMetrics
import Foundation
import HookGateCore
import HookGateHTTPClient
import Logging

/// Builds a provider's key cache from its key settings: pinned keys (a file or inline
/// JSON), or a key endpoint fetched over HTTP whose keys are saved in a ``KeyStore``.
///
/// The one place key sources are made: the gate and `serve --check` both use it.
package struct KeyCacheBuilder: Sendable {
    let configuration: GateConfiguration
    let keyStore: (any KeyStore)?
    let metrics: any MetricsFactory
    let logger: Logger
    let precomputeTables: Bool
    /// The fetched keys' cooldowns, negative cache and fetch budget.
    let clock: any GateClock

    /// A builder; without `keyStore`, fetched keys are neither loaded at start nor saved.
    /// The caches emit their figures into `metrics` (the gate's pipeline). With
    /// `precomputeTables` (the running gate), every cached key gets a fixed-key ES256 table.
    /// Fetched keys' caches keep their time on `clock`.
    package init(
        configuration: GateConfiguration, keyStore: (any KeyStore)?, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger,
        precomputeTables: Bool = false, clock: any GateClock = WallClock()
    ) {
        self.clock = clock
        self.configuration = configuration
        self.keyStore = keyStore
        self.metrics = metrics
        self.logger = logger
        self.precomputeTables = precomputeTables
    }

    /// The key cache of `provider`, loaded with its pinned keys or its saved keys.
    /// - Throws: ``ConfigurationError`` when a pinned key file or text is unusable or the key URL
    ///   is not a URL; the key store's error when saved keys cannot be read.
    package func keyCache(_ provider: Provider, _ settings: GateConfiguration.KeySourceSettings) async throws -> KeyCache {
        switch settings {
        case .pinnedJSON(let name, let json):
            let source = try PinnedKeySource(json: json, origin: name)
            return KeyCache(
                provider: provider, source: source, initialKeys: source.keySet.keys, metrics: metrics, precomputeTables: precomputeTables,
                logger: logger)
        case .pinnedFile(let path):
            let source = try PinnedKeySource(path: path)
            return KeyCache(
                provider: provider, source: source, initialKeys: source.keySet.keys, metrics: metrics, precomputeTables: precomputeTables,
                logger: logger)
        case .remote(let url, let credentials, let timeout):
            guard let endpoint = URL(string: url) else { throw ConfigurationError(path: "providers.\(provider).key_url", "not a URL") }
            let source = HTTPKeySource(url: endpoint, credentials: credentials, timeout: timeout)
            let saved = try await keyStore?.savedKeys(provider: provider) ?? []
            return KeyCache(
                provider: provider, source: source, initialKeys: saved, persistence: keyStore, cooldown: Double(configuration.keyCooldown),
                maxFetchesPerMinute: configuration.maxKeyFetchesPerMinute, metrics: metrics, precomputeTables: precomputeTables, logger: logger,
                clock: { [clock] in Double(clock.nowMilliseconds()) / 1000 })
        }
    }

    /// Builds every provider's key cache without a key store (no network, no database):
    /// what `serve --check` checks beyond parsing.
    /// - Throws: the first provider's error, as ``keyCache(_:_:)`` would at start.
    package static func check(_ configuration: GateConfiguration) async throws {
        let builder = KeyCacheBuilder(configuration: configuration, keyStore: nil, logger: Logger(label: "hookgate.check"))
        for settings in configuration.providers {
            guard case .jwt(_, let keys, _) = settings.verification else { continue }
            _ = try await builder.keyCache(settings.provider, keys)
        }
    }
}
