import CoreMetrics
import Foundation
import HookGateCore
import Prometheus

/// HookGate's one metrics pipeline: every figure is emitted once, where it happens,
/// through swift-metrics into ``figures`` (a ``GateFigures`` that forwards each update to
/// a Prometheus registry the gate owns). `/stats` reads ``figures``; `/metrics` renders
/// the registry; both show the same numbers. Several gates in one process (as in tests)
/// never share counters.
///
/// Intake counters and the latency timer are updated per request (handles made once per
/// provider and outcome, so a request takes no lock but the latency window's); key
/// caches emit their own; delivery and store totals live in the database and are set
/// as meters when `/stats` or `/metrics` is read.
public final class GateMetrics: Sendable {
    /// The Prometheus registry behind `/metrics`.
    public let registry = PrometheusCollectorRegistry()
    /// The readable figures behind `/stats`; pass it as the factory of anything that emits.
    public let figures: GateFigures
    private let intake: [Provider: (outcomes: [String: CoreMetrics.Counter], duration: CoreMetrics.Timer)]

    /// Intake latency buckets, in seconds.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000), .seconds(5),
    ]

    /// Every outcome an intake request can have: `accepted`, `duplicate`, or an error code.
    static let outcomes = ["accepted", "duplicate"] + HookGateError.Code.allCases.map(\.rawValue)

    /// Metrics for a gate receiving from `providers`.
    public init(providers: [Provider] = Provider.builtIn) {
        var prometheus = PrometheusMetricsFactory(registry: registry)
        prometheus.durationHistogramBuckets["hookgate_intake_duration_seconds"] = GateMetrics.latencyBuckets
        let figures = GateFigures(upstream: prometheus)
        self.figures = figures
        var intake: [Provider: (outcomes: [String: CoreMetrics.Counter], duration: CoreMetrics.Timer)] = [:]
        for provider in providers {
            var counters: [String: CoreMetrics.Counter] = [:]
            for outcome in GateMetrics.outcomes {
                counters[outcome] = CoreMetrics.Counter(
                    label: "hookgate_webhooks_total", dimensions: [("provider", provider.rawValue), ("outcome", outcome)], factory: figures)
            }
            let timer = CoreMetrics.Timer(label: "hookgate_intake_duration_seconds", dimensions: [("provider", provider.rawValue)], factory: figures)
            intake[provider] = (counters, timer)
        }
        self.intake = intake
    }

    /// Counts one webhook (`outcome`: accepted, duplicate or an error code) and its latency.
    func recordIntake(provider: Provider, outcome: String, duration: Duration) {
        guard let meters = intake[provider] else { return }
        meters.outcomes[outcome]?.increment()
        meters.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Sets the database totals (deliveries by state, store size) and the uptime as meters.
    func refresh(deliveries: DeliveryCounts, store: (events: Int, bytes: Int64), uptime: Double) {
        for status in DeliveryStatus.allCases {
            Meter(label: "hookgate_deliveries", dimensions: [("state", status.rawValue)], factory: figures).set(Double(deliveries[status]))
        }
        Meter(label: "hookgate_delivery_oldest_pending_seconds", factory: figures).set(deliveries.oldestPendingSeconds)
        Meter(label: "hookgate_store_events", factory: figures).set(Double(store.events))
        Meter(label: "hookgate_store_size_bytes", factory: figures).set(Double(store.bytes))
        Meter(label: "hookgate_uptime_seconds", factory: figures).set(uptime)
    }

    /// Intake figures of `provider` since start, read back from the pipeline.
    func providerFigures(_ provider: Provider) -> StatsDocument.ProviderFigures {
        var figures = StatsDocument.ProviderFigures(received: 0, accepted: 0, duplicates: 0, rejected: [:])
        for outcome in GateMetrics.outcomes {
            let count = Int(self.figures.counter("hookgate_webhooks_total", [("provider", provider.rawValue), ("outcome", outcome)]))
            guard count > 0 else { continue }
            figures.received += count
            switch outcome {
            case "accepted": figures.accepted += count
            case "duplicate": figures.duplicates += count
            default: figures.rejected[outcome] = count
            }
        }
        return figures
    }

    /// Key cache figures of `provider` since start, read back from the pipeline.
    func keyFigures(_ provider: Provider) -> StatsDocument.KeyFigures {
        let dimensions = [("provider", provider.rawValue)]
        return StatsDocument.KeyFigures(
            cached: Int(figures.meter("hookgate_key_cache_keys", dimensions)),
            fetches: Int(figures.counter("hookgate_key_fetches_total", dimensions)),
            fetchFailures: Int(figures.counter("hookgate_key_fetch_failures_total", dimensions)),
            negativeHits: Int(figures.counter("hookgate_key_negative_cache_hits_total", dimensions)),
            rateLimited: Int(figures.counter("hookgate_key_fetches_rate_limited_total", dimensions)))
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
