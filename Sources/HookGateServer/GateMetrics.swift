import CHookGateBuildInfo
import CoreMetrics
import Foundation
import HookGateCore
import Prometheus
import Synchronization

/// HookGate's one metrics pipeline: every figure is emitted once, where it happens,
/// through swift-metrics into ``figures`` (a ``GateFigures`` that forwards each update to
/// a Prometheus registry the gate owns). `/stats` reads ``figures``; `/metrics` renders
/// the registry; both show the same numbers. Several gates in one process (as in tests)
/// never share counters.
///
/// Intake counters and the latency timer are updated per request (handles made once per
/// provider and outcome, so a request takes no lock but the latency window's); key
/// caches and the dispatcher emit their own; delivery and store totals live in the
/// database, and the `process_*` figures in `/proc`: they are set when `/stats` or
/// `/metrics` is read. Every family has its `# HELP` line (``MetricFamily``).
package final class GateMetrics: Sendable {
    /// The Prometheus registry behind `/metrics`.
    package let registry = PrometheusCollectorRegistry()
    /// The readable figures behind `/stats`; pass it as the factory of anything that emits.
    package let figures: GateFigures
    /// When the gate started (`hookgate_start_time_seconds`, and `/stats`' uptime).
    package let startedAt: Date
    private let intake: [Provider: (outcomes: [String: CoreMetrics.Counter], duration: CoreMetrics.Timer)]
    /// Each provider's answers over the last hour (`/stats` warnings).
    let refusals = RefusalWindow()
    /// `hookgate_quarantined_total` by provider and code, and `hookgate_quarantine_dropped_total`
    /// by cause: made once (a flood counts every forged request), all starting at 0.
    private let quarantined: [Provider: [HookGateError.Code: CoreMetrics.Counter]]
    private let quarantineDropped: [String: CoreMetrics.Counter]
    /// The process CPU time already added to `process_cpu_seconds_total` (a counter only goes up by increments).
    private let countedCPUSeconds = Mutex(0.0)
    /// The git commit this binary was built from (fixed at build time, see Package.swift).
    package static let commit = String(cString: hookgate_build_commit())

    /// Intake latency buckets, in seconds.
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000), .seconds(5),
    ]

    /// Why a refused request was not kept, or no longer is (`hookgate_quarantine_dropped_total{cause}`).
    static let quarantineDropCauses = ["buffer", "bound", "error"]

    /// Every outcome an intake request can have: `accepted`, `duplicate`, or an error code
    /// (not those outside the webhook routes: they are not counted).
    static let outcomes = ["accepted", "duplicate"] + HookGateError.Code.allCases.filter { !$0.isOutsideWebhookRoutes }.map(\.rawValue)

    /// Delivery attempt duration buckets, in seconds.
    static let attemptBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// Metrics for a gate receiving from `providers`, started at `startedAt` (`hookgate_start_time_seconds`).
    package init(providers: [Provider] = Provider.builtIn, startedAt: Date = Date()) {
        var prometheus = DescribedMetricsFactory(registry: registry)
        prometheus.durationBuckets["hookgate_intake_duration_seconds"] = GateMetrics.latencyBuckets
        prometheus.durationBuckets["hookgate_delivery_attempt_duration_seconds"] = GateMetrics.attemptBuckets
        let figures = GateFigures(upstream: prometheus)
        self.figures = figures
        self.startedAt = startedAt
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
        var quarantined: [Provider: [HookGateError.Code: CoreMetrics.Counter]] = [:]
        for provider in providers {
            for code in HookGateError.Code.allCases where code.isQuarantined {
                quarantined[provider, default: [:]][code] = CoreMetrics.Counter(
                    label: "hookgate_quarantined_total", dimensions: [("provider", provider.rawValue), ("reason", code.rawValue)], factory: figures)
            }
        }
        self.quarantined = quarantined
        var dropped: [String: CoreMetrics.Counter] = [:]
        for cause in GateMetrics.quarantineDropCauses {
            dropped[cause] = CoreMetrics.Counter(label: "hookgate_quarantine_dropped_total", dimensions: [("cause", cause)], factory: figures)
            dropped[cause]?.increment(by: 0)
        }
        quarantineDropped = dropped
        Meter(label: "hookgate_build_info", dimensions: [("version", GateServer.version), ("commit", GateMetrics.commit)], factory: figures).set(1)
        Meter(label: "hookgate_start_time_seconds", factory: figures).set(startedAt.timeIntervalSince1970)
    }

    /// Counts one webhook (`outcome`: accepted, duplicate or an error code) and its latency.
    func recordIntake(provider: Provider, outcome: String, duration: Duration) {
        guard let meters = intake[provider] else { return }
        refusals.record(provider: provider, outcome: outcome)
        meters.outcomes[outcome]?.increment()
        meters.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Sets the database totals (deliveries by state, store size) and the process's figures as meters.
    func refresh(deliveries: DeliveryCounts, store: (events: Int, bytes: Int64), process: ProcessFigures = .current()) {
        for status in DeliveryStatus.allCases {
            Meter(label: "hookgate_deliveries", dimensions: [("state", status.rawValue)], factory: figures).set(Double(deliveries[status]))
        }
        Meter(label: "hookgate_delivery_oldest_pending_seconds", factory: figures).set(deliveries.oldestPendingSeconds)
        Meter(label: "hookgate_store_events", factory: figures).set(Double(store.events))
        Meter(label: "hookgate_store_size_bytes", factory: figures).set(Double(store.bytes))
        refreshProcess(process)
    }

    /// Counts `count` refused webhooks written to the quarantine.
    func recordQuarantined(provider: Provider, reason: HookGateError.Code, count: Int = 1) {
        quarantined[provider]?[reason]?.increment(by: count)
    }

    /// Counts refused webhooks not kept (`buffer`: the writer's buffer was full; `error`: the
    /// store failed) or removed to keep `quarantine.max_bytes` (`bound`).
    func recordQuarantineDrop(cause: String, count: Int) {
        quarantineDropped[cause]?.increment(by: count)
    }

    /// Sets the quarantine's totals, read from the store.
    func refresh(quarantine: (requests: Int, bytes: Int64)) {
        Meter(label: "hookgate_quarantine_requests", factory: figures).set(Double(quarantine.requests))
        Meter(label: "hookgate_quarantine_bytes", factory: figures).set(Double(quarantine.bytes))
    }

    /// The quarantine's drops since start, by cause.
    func quarantineDrops() -> [String: Int] {
        var drops: [String: Int] = [:]
        for cause in GateMetrics.quarantineDropCauses {
            drops[cause] = Int(figures.counter("hookgate_quarantine_dropped_total", [("cause", cause)]))
        }
        return drops
    }

    /// Sets `hookgate_ready`: 1 when `/readyz` would answer ready, 0 otherwise.
    func recordReadiness(_ ready: Bool) {
        Meter(label: "hookgate_ready", factory: figures).set(ready ? 1 : 0)
    }

    /// Sets the process's figures (`process_*`) as meters.
    func refreshProcess(_ process: ProcessFigures = .current()) {
        if let cpu = process.cpuSeconds {
            let added = countedCPUSeconds.withLock { counted -> Double in
                let added = max(0, cpu - counted)
                counted += added
                return added
            }
            FloatingPointCounter(label: "process_cpu_seconds_total", factory: figures).increment(by: added)
        }
        let gauges: [(String, Double?)] = [
            ("process_resident_memory_bytes", process.residentBytes), ("process_virtual_memory_bytes", process.virtualBytes),
            ("process_open_fds", process.openFileDescriptors.map(Double.init)), ("process_max_fds", process.maxFileDescriptors.map(Double.init)),
            ("process_start_time_seconds", process.startTimeSeconds),
        ]
        for (label, value) in gauges {
            if let value { Meter(label: label, factory: figures).set(value) }
        }
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
