import HookGateCore
import Synchronization

/// Intake counters since start, per provider and outcome, and a window of recent
/// intake latencies. Cheap to update from every request.
public final class IntakeStatistics: Sendable {
    /// One provider's counters.
    public struct Counters: Sendable, Equatable {
        public var received = 0
        public var accepted = 0
        public var duplicates = 0
        public var rejected: [String: Int] = [:]
    }

    /// Latency percentiles in milliseconds over the recent window.
    public struct Latency: Sendable, Equatable {
        public var count = 0
        public var p50 = 0.0
        public var p90 = 0.0
        public var p99 = 0.0
        public var max = 0.0
    }

    /// How many recent requests the latency window holds.
    public static let window = 4096

    struct State {
        var counters: [Provider: Counters] = [:]
        var latencies = [Double](repeating: 0, count: IntakeStatistics.window)
        var next = 0
        var filled = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Records one request's outcome: `accepted`, `duplicate`, or an error code.
    public func record(provider: Provider, outcome: String, milliseconds: Double) {
        state.withLock { state in
            var counters = state.counters[provider] ?? Counters()
            counters.received += 1
            switch outcome {
            case "accepted": counters.accepted += 1
            case "duplicate": counters.duplicates += 1
            default: counters.rejected[outcome, default: 0] += 1
            }
            state.counters[provider] = counters
            state.latencies[state.next] = milliseconds
            state.next = (state.next + 1) % IntakeStatistics.window
            state.filled = min(state.filled + 1, IntakeStatistics.window)
        }
    }

    /// The counters of every provider that received something.
    public func counters() -> [Provider: Counters] {
        state.withLock { $0.counters }
    }

    /// Percentiles over the recent window.
    public func latency() -> Latency {
        let samples = state.withLock { Array($0.latencies.prefix($0.filled)) }.sorted()
        guard !samples.isEmpty else { return Latency() }
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int((p * Double(samples.count)).rounded(.up)) - 1)] }
        return Latency(count: samples.count, p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: samples.last!)
    }
}
