import CoreMetrics
import Foundation
import HookGateCore
import HookGateServer
import Testing

/// The one metrics pipeline: figures emitted through swift-metrics are readable for
/// `/stats` and forwarded, unchanged, to the upstream factory that `/metrics` renders.
@Suite struct GateFiguresTests {
    @Test func countersMetersAndTimersReadBackAndForward() async throws {
        let metrics = GateMetrics(providers: [.plaid])
        let figures = metrics.figures
        let counter = Counter(label: "test_total", dimensions: [("kind", "a")], factory: figures)
        counter.increment(by: 3)
        Counter(label: "test_total", dimensions: [("kind", "a")], factory: figures).increment()  // the same series
        Counter(label: "test_total", dimensions: [("kind", "b")], factory: figures).increment()
        Meter(label: "test_gauge", factory: figures).set(2.5)
        let timer = CoreMetrics.Timer(label: "test_seconds", factory: figures)
        for milliseconds in 1...100 { timer.recordMilliseconds(milliseconds) }

        #expect(figures.counter("test_total", [("kind", "a")]) == 4)
        #expect(figures.counter("test_total", [("kind", "b")]) == 1)
        #expect(figures.counter("test_total", [("kind", "c")]) == 0)
        #expect(figures.counters("test_total").map(\.value).sorted() == [1, 4])
        #expect(figures.meter("test_gauge") == 2.5)
        let percentiles = figures.percentiles("test_seconds")
        #expect(percentiles.count == 100 && percentiles.p50 == 50 && percentiles.p99 == 99 && percentiles.max == 100)

        // The same numbers in the Prometheus registry behind /metrics.
        let text = String(decoding: metrics.registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"test_total{kind="a"} 4"#), "\(text)")
        #expect(text.contains(#"test_total{kind="b"} 1"#))
        #expect(text.contains("test_gauge 2.5"))
    }

    @Test func latencyWindowKeepsTheMostRecentSamples() {
        let figures = GateFigures()
        let timer = CoreMetrics.Timer(label: "window_seconds", factory: figures)
        for _ in 0..<GateFigures.window { timer.recordMilliseconds(1000) }
        for _ in 0..<GateFigures.window { timer.recordMilliseconds(1) }
        let percentiles = figures.percentiles("window_seconds")
        #expect(percentiles.count == GateFigures.window && percentiles.max == 1)
    }
}
