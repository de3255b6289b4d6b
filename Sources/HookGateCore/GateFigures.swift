import CoreMetrics
import Synchronization

/// The gate's one metrics pipeline: a swift-metrics `MetricsFactory` whose figures can
/// also be read back.
///
/// Every figure is emitted once, where it happens, through swift-metrics (`Counter`,
/// `Meter`, `Timer` made with this factory). Each handler keeps its value readable here
/// for `/stats` and forwards every update to the `upstream` factory (Prometheus, for
/// `/metrics`), so both documents show the same figures. Timers also keep the last
/// ``window`` durations per label, for percentiles.
///
/// One instance per gate (tests run several gates in one process); handlers are made
/// once per label and dimensions and are cheap to update (atomics; timers take a lock).
public final class GateFigures: MetricsFactory, Sendable {
    /// How many recent durations a timer label keeps for percentiles.
    public static let window = 4096

    private let upstream: any MetricsFactory
    private let series = Mutex<[SeriesKey: AnyObject & Sendable]>([:])
    private let windows = Mutex<[String: DurationWindow]>([:])

    /// - Parameter upstream: where every update is forwarded too (the Prometheus factory;
    ///   by default nowhere, for tests that only read the figures back).
    public init(upstream: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.upstream = upstream
    }

    struct SeriesKey: Hashable {
        var label: String
        var dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.map { "\($0.0)=\($0.1)" }
        }
    }

    /// Recent durations of one timer label (all dimensions together), in nanoseconds.
    struct DurationWindow {
        var samples = [Int64](repeating: 0, count: GateFigures.window)
        var next = 0
        var filled = 0

        mutating func add(_ value: Int64) {
            samples[next] = value
            next = (next + 1) % samples.count
            filled = min(filled + 1, samples.count)
        }
    }

    private func made<Handler: AnyObject & Sendable>(_ label: String, _ dimensions: [(String, String)], _ make: () -> Handler) -> Handler {
        let key = SeriesKey(label, dimensions)
        return series.withLock { series in
            if let existing = series[key] as? Handler { return existing }
            let handler = make()
            series[key] = handler
            return handler
        }
    }

    // MARK: Reading

    /// Every series of counter `label`: its dimensions and value.
    public func counters(_ label: String) -> [(dimensions: [(String, String)], value: Int64)] {
        series.withLock { series in
            series.compactMap { key, handler in
                guard key.label == label, let counter = handler as? ReadableCounter else { return nil }
                return (counter.dimensions, counter.value)
            }
        }
    }

    /// The value of counter `label` with exactly `dimensions` (0 when never incremented).
    public func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        let key = SeriesKey(label, dimensions)
        return (series.withLock { $0[key] } as? ReadableCounter)?.value ?? 0
    }

    /// The last value set on meter `label` with exactly `dimensions` (0 when never set).
    public func meter(_ label: String, _ dimensions: [(String, String)] = []) -> Double {
        let key = SeriesKey(label, dimensions)
        return (series.withLock { $0[key] } as? ReadableMeter)?.value ?? 0
    }

    /// Percentiles of timer `label` over its recent window, in milliseconds.
    public func percentiles(_ label: String) -> Percentiles {
        let samples = windows.withLock { windows -> [Int64] in
            guard let window = windows[label] else { return [] }
            return Array(window.samples.prefix(window.filled))
        }.sorted()
        guard !samples.isEmpty else { return Percentiles() }
        func at(_ p: Double) -> Double {
            Double(samples[min(samples.count - 1, Int((p * Double(samples.count)).rounded(.up)) - 1)]) / 1e6
        }
        return Percentiles(count: samples.count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Double(samples.last!) / 1e6)
    }

    /// Percentiles of recent durations, in milliseconds.
    public struct Percentiles: Sendable, Equatable {
        public var count = 0
        public var p50 = 0.0
        public var p90 = 0.0
        public var p99 = 0.0
        public var max = 0.0
    }

    fileprivate func record(_ label: String, nanoseconds: Int64) {
        windows.withLock { windows in windows[label, default: DurationWindow()].add(nanoseconds) }
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        made(label, dimensions) { ReadableCounter(dimensions, upstream.makeCounter(label: label, dimensions: dimensions)) }
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        upstream.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        made(label, dimensions) { ReadableMeter(upstream.makeMeter(label: label, dimensions: dimensions)) }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        upstream.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        made(label, dimensions) { WindowedTimer(label, self, upstream.makeTimer(label: label, dimensions: dimensions)) }
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

/// A counter whose total can be read, forwarding every increment.
final class ReadableCounter: CounterHandler, Sendable {
    let dimensions: [(String, String)]
    private let total = Atomic<Int64>(0)
    private let upstream: any CounterHandler

    init(_ dimensions: [(String, String)], _ upstream: any CounterHandler) {
        self.dimensions = dimensions
        self.upstream = upstream
    }

    var value: Int64 { total.load(ordering: .relaxed) }

    func increment(by amount: Int64) {
        total.add(amount, ordering: .relaxed)
        upstream.increment(by: amount)
    }

    func reset() {
        total.store(0, ordering: .relaxed)
        upstream.reset()
    }
}

/// A meter whose last value can be read, forwarding every update.
final class ReadableMeter: MeterHandler, Sendable {
    private let bits = Atomic<UInt64>(0)
    private let upstream: any MeterHandler

    init(_ upstream: any MeterHandler) {
        self.upstream = upstream
    }

    var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    func set(_ value: Int64) { set(Double(value)) }

    func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
        upstream.set(value)
    }

    func increment(by amount: Double) {
        set(value + amount)
    }

    func decrement(by amount: Double) {
        set(value - amount)
    }
}

/// A timer that feeds its label's percentile window, forwarding every duration.
final class WindowedTimer: TimerHandler, Sendable {
    private let label: String
    private unowned let figures: GateFigures
    private let upstream: any TimerHandler

    init(_ label: String, _ figures: GateFigures, _ upstream: any TimerHandler) {
        self.label = label
        self.figures = figures
        self.upstream = upstream
    }

    func recordNanoseconds(_ duration: Int64) {
        figures.record(label, nanoseconds: duration)
        upstream.recordNanoseconds(duration)
    }
}
