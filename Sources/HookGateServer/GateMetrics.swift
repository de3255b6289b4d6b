import CoreMetrics
import Foundation
import HookGateCore
import Prometheus
import Synchronization

/// HookGate's Prometheus metrics, emitted through swift-metrics into a registry the
/// gate owns (so several gates in one process, as in tests, never share counters).
///
/// Intake counters and the latency histogram are updated per request; gauges for
/// deliveries, the store and the key caches are refreshed from their sources when
/// `/metrics` is scraped.
public final class GateMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let reportedKeyCounts = Mutex<[String: Int]>([:])

    /// Intake latency buckets, in seconds.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000), .seconds(5),
    ]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["hookgate_intake_duration_seconds"] = GateMetrics.latencyBuckets
        self.factory = factory
    }

    /// Counts one webhook (`outcome`: accepted, duplicate or an error code) and its latency.
    func recordIntake(provider: Provider, outcome: String, duration: Duration) {
        let key = "\(provider.rawValue)|\(outcome)"
        let counter = counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = CoreMetrics.Counter(label: "hookgate_webhooks_total", dimensions: [("provider", provider.rawValue), ("outcome", outcome)], factory: factory)
            cache[key] = made
            return made
        }
        counter.increment()
        let timer = timers.withLock { cache in
            if let existing = cache[provider.rawValue] { return existing }
            let made = CoreMetrics.Timer(label: "hookgate_intake_duration_seconds", dimensions: [("provider", provider.rawValue)], factory: factory)
            cache[provider.rawValue] = made
            return made
        }
        timer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)] = [], _ value: Double) {
        Meter(label: label, dimensions: dimensions, factory: factory).set(value)
    }

    /// Brings the gauges and key-fetch counters up to date.
    func refresh(deliveries: DeliveryCounts, store: (events: Int, bytes: Int64), keys: [Provider: KeyCache.Statistics], uptime: Double) {
        for state in DeliveryStatus.allCases {
            gauge("hookgate_deliveries", [("state", state.rawValue)], Double(deliveries[state]))
        }
        gauge("hookgate_delivery_oldest_pending_seconds", [], deliveries.oldestPendingSeconds)
        gauge("hookgate_store_events", [], Double(store.events))
        gauge("hookgate_store_size_bytes", [], Double(store.bytes))
        gauge("hookgate_uptime_seconds", [], uptime)
        for (provider, statistics) in keys {
            gauge("hookgate_key_cache_keys", [("provider", provider.rawValue)], Double(statistics.cached))
            let failures = statistics.fetchFailures
            for (result, total) in [("success_or_unknown", statistics.fetches - failures), ("failure", failures), ("rate_limited", statistics.rateLimited)] {
                bump("hookgate_key_fetches_total", [("provider", provider.rawValue), ("result", result)], to: total)
            }
            bump("hookgate_key_negative_cache_hits_total", [("provider", provider.rawValue)], to: statistics.negativeHits)
        }
    }

    /// Increments a counter so that it reads `total` (sources keep totals; Prometheus counters only go up).
    private func bump(_ label: String, _ dimensions: [(String, String)], to total: Int) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = reportedKeyCounts.withLock { reported -> Int in
            let delta = total - reported[key, default: 0]
            if delta > 0 { reported[key] = total }
            return delta
        }
        let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
        if delta > 0 { counter.increment(by: delta) }
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
