/// One metric family `/metrics` exposes: its name, Prometheus type, labels and help text.
///
/// ``all`` is the catalogue: the `# HELP` line of every family comes from it (through
/// ``DescribedMetricsFactory``), and docs/operations.md's metrics table lists the same
/// families (a test compares them). A figure emitted under a name missing here would
/// get no `# HELP` line, which `promtool check metrics` reports.
package struct MetricFamily: Sendable, Equatable {
    /// The Prometheus metric types HookGate uses.
    package enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The family's name, as written in `/metrics` (histograms add `_bucket`, `_sum` and `_count`).
    package let name: String
    /// The Prometheus type (`# TYPE`).
    package let kind: Kind
    /// The labels every series of the family carries.
    package let labels: [String]
    /// The `# HELP` text.
    package let help: String

    /// The help text of family `name` (empty for a name not in the catalogue).
    package static func help(_ name: String) -> String {
        byName[name]?.help ?? ""
    }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Every family, HookGate's own first, then the process's.
    package static let all: [MetricFamily] = [
        MetricFamily(
            name: "hookgate_build_info", kind: .gauge, labels: ["version", "commit"],
            help: "Always 1; the labels name the running build (version and git commit)."),
        MetricFamily(
            name: "hookgate_start_time_seconds", kind: .gauge, labels: [],
            help: "When this gate started, in seconds since the Unix epoch (uptime is time() minus this)."),
        MetricFamily(
            name: "hookgate_ready", kind: .gauge, labels: [],
            help: "1 when /readyz answers ready (the store takes writes, the disk has room, both listeners are up, no shutdown), else 0."),
        MetricFamily(
            name: "hookgate_webhooks_total", kind: .counter, labels: ["provider", "outcome"],
            help: "Webhooks answered on the public listener since start, by provider and outcome (accepted, duplicate or the error code)."),
        MetricFamily(
            name: "hookgate_intake_duration_seconds", kind: .histogram, labels: ["provider"],
            help: "Time from a webhook request's arrival to its answer (the commit included), in seconds."),
        MetricFamily(
            name: "hookgate_deliveries", kind: .gauge, labels: ["state"],
            help: "Deliveries in the database by state (pending, retrying, in_flight, delivered, dead), read at each scrape."),
        MetricFamily(
            name: "hookgate_delivery_oldest_pending_seconds", kind: .gauge, labels: [],
            help: "Age of the oldest delivery neither delivered nor dead, in seconds (0 when none)."),
        MetricFamily(
            name: "hookgate_delivery_attempts_total", kind: .counter, labels: ["handler", "outcome"],
            help: "Delivery attempts this gate made since start, by handler and the state each left its delivery in (delivered, retrying, dead)."),
        MetricFamily(
            name: "hookgate_delivery_attempt_duration_seconds", kind: .histogram, labels: ["handler"],
            help: "Duration of delivery attempts this gate made since start, by handler, in seconds."),
        MetricFamily(
            name: "hookgate_store_events", kind: .gauge, labels: [],
            help: "Events in the database, read at each scrape."),
        MetricFamily(
            name: "hookgate_store_size_bytes", kind: .gauge, labels: [],
            help: "Size of the database in bytes (SQLite: the file, its WAL and shared memory; PostgreSQL: HookGate's tables and indexes)."),
        MetricFamily(
            name: "hookgate_key_fetches_total", kind: .counter, labels: ["provider"],
            help: "Key fetches started since start (an unknown kid, or a refresh of a known key), by provider."),
        MetricFamily(
            name: "hookgate_key_fetch_failures_total", kind: .counter, labels: ["provider"],
            help: "Key fetches that failed for a reason other than the token's (answered key_unavailable), by provider."),
        MetricFamily(
            name: "hookgate_key_fetches_rate_limited_total", kind: .counter, labels: ["provider"],
            help: "Key fetches refused since start because the provider's fetch budget was spent, by provider."),
        MetricFamily(
            name: "hookgate_key_negative_cache_hits_total", kind: .counter, labels: ["provider"],
            help: "Unknown kids answered from the negative cache without a fetch since start, by provider."),
        MetricFamily(
            name: "hookgate_key_cache_keys", kind: .gauge, labels: ["provider"],
            help: "Keys in the provider's key cache."),
        MetricFamily(
            name: "hookgate_quarantined_total", kind: .counter, labels: ["provider", "reason"],
            help: "Refused webhooks (400 or 401) this gate wrote to the quarantine since start, by provider and refusal code."),
        MetricFamily(
            name: "hookgate_quarantine_dropped_total", kind: .counter, labels: ["cause"],
            help: "Refused webhooks not kept since start: buffer (intake outran the writer), error (the store failed), or bound (the oldest removed to keep quarantine.max_bytes)."),
        MetricFamily(
            name: "hookgate_quarantine_requests", kind: .gauge, labels: [],
            help: "Refused webhooks kept in the quarantine, read at each scrape."),
        MetricFamily(
            name: "hookgate_quarantine_bytes", kind: .gauge, labels: [],
            help: "Bytes the quarantine counts against quarantine.max_bytes (bodies, headers and 256 per request), read at each scrape."),
        MetricFamily(
            name: "process_cpu_seconds_total", kind: .counter, labels: [],
            help: "User and system CPU time the process has used, in seconds."),
        MetricFamily(
            name: "process_resident_memory_bytes", kind: .gauge, labels: [],
            help: "Resident memory of the process, in bytes."),
        MetricFamily(
            name: "process_virtual_memory_bytes", kind: .gauge, labels: [],
            help: "Virtual memory of the process, in bytes."),
        MetricFamily(
            name: "process_open_fds", kind: .gauge, labels: [],
            help: "File descriptors the process has open."),
        MetricFamily(
            name: "process_max_fds", kind: .gauge, labels: [],
            help: "The process's limit on open file descriptors (the soft RLIMIT_NOFILE)."),
        MetricFamily(
            name: "process_start_time_seconds", kind: .gauge, labels: [],
            help: "When the process started, in seconds since the Unix epoch."),
    ]
}
