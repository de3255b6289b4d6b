import Foundation
import HookGateCore
import Logging
import Synchronization
import Testing

@testable import HookGateServer

/// The quarantine's writer and the refusal window, without a gate: the intake's hand-off
/// never waits and is bounded, the writer paces itself while refusals keep coming, and
/// `/stats` warns from the last hour's answers only.
@Suite struct QuarantineWriterTests {
    /// A quarantine that records its batches; with a latch, each write waits until it opens.
    final class SlowQuarantine: Quarantine, Sendable {
        struct State {
            var batches: [[RejectedRequest]] = []
        }
        let state = Mutex(State())
        let hold: Latch?

        init(hold: Latch? = nil) {
            self.hold = hold
        }

        func quarantine(_ requests: [RejectedRequest], maxBytes: Int64) async throws -> Int {
            await hold?.wait()
            state.withLock { $0.batches.append(requests) }
            return 0
        }
        func rejected(_ filter: RejectedFilter) async throws -> [RejectedRequest] { [] }
        func quarantineRequest(id: Int64) async throws -> RejectedRequest? { nil }
        func markRecovered(_ request: RejectedRequest) async throws {}
        func pruneRejected(receivedBefore cutoff: Int64) async throws -> Int { 0 }
        func quarantineUsage() async throws -> (requests: Int, bytes: Int64) { (0, 0) }
    }

    static func request(_ n: Int) -> RejectedRequest {
        RejectedRequest(
            provider: .plaid, reason: .badSignature, receivedAt: Int64(n), clientIP: nil, path: "/webhooks/plaid", requestID: "r\(n)",
            headers: [], body: Array(repeating: 0x61, count: 100))
    }

    @Test func submittingNeverWaitsAndAFullBufferDropsAndCounts() async throws {
        let metrics = GateMetrics(providers: [.plaid])
        let writes = Latch()
        defer { writes.open() }
        let store = SlowQuarantine(hold: writes)
        let writer = QuarantineWriter(store: store, maxBytes: 1 << 30, metrics: metrics, logger: Logger(label: "test"), bufferRequests: 10)
        let clock = ContinuousClock()
        let started = clock.now
        for n in 0..<1000 { writer.submit(Self.request(n)) }
        #expect(clock.now - started < .seconds(1), "1,000 submissions with nothing written took \(clock.now - started)")
        #expect(writer.isFull)
        writer.recordDrops()  // what /stats and /metrics do before they read
        #expect(metrics.quarantineDrops()["buffer"] == 990, "\(metrics.quarantineDrops())")
    }

    @Test func whileRefusalsKeepComingTheWriterWritesAtMostItsShareOfTheTime() async throws {
        // The pause after a batch: the writer's time writing over its whole time is the share.
        let write = Duration.milliseconds(10)
        let pause = QuarantineWriter.pause(after: write)
        let share = Double(write.components.attoseconds) / Double((write + pause).components.attoseconds)
        #expect(abs(share - QuarantineWriter.writeShare) < 1e-9, "pause \(pause) after a write of \(write)")
        #expect(QuarantineWriter.pause(after: .seconds(3)) == QuarantineWriter.maxPause)
        // Batches of at most 512, every request counted, the last flush (graceful shutdown) at once.
        let metrics = GateMetrics(providers: [.plaid])
        let store = SlowQuarantine()
        let writer = QuarantineWriter(store: store, maxBytes: 1 << 30, metrics: metrics, logger: Logger(label: "test"))
        for n in 0..<(3 * QuarantineWriter.maxBatch) { writer.submit(Self.request(n)) }
        await writer.flush()
        #expect(store.state.withLock { $0.batches.map(\.count) } == [512, 512, 512])
        #expect(metrics.figures.counter("hookgate_quarantined_total", [("provider", "plaid"), ("reason", "bad_signature")]) == 1536)
        for n in 0..<(2 * QuarantineWriter.maxBatch) { writer.submit(Self.request(n)) }
        await writer.flush(pacing: false)
        #expect(store.state.withLock { $0.batches.map(\.count) } == [512, 512, 512, 512, 512])
    }

    @Test func warningsCountTheLastHourOnlyAndNeedAShareAndAMinimum() {
        let window = RefusalWindow()
        let now: Int64 = 1_800_000_000
        // Two hours ago: every answer refused, forgotten since.
        for _ in 0..<50 { window.record(provider: .plaid, outcome: "bad_signature", now: now - 7200) }
        #expect(window.warnings(providers: [.plaid], now: now).isEmpty)
        // Now: 4 refused of 5 (80 %), and a transient 503 that is not a refusal.
        for _ in 0..<4 { window.record(provider: .plaid, outcome: "stale_token", now: now - 60) }
        window.record(provider: .plaid, outcome: "accepted", now: now)
        window.record(provider: .plaid, outcome: "key_unavailable", now: now)
        #expect(window.warnings(providers: [.plaid], now: now) == ["plaid: 67 % refused in the last hour (4 of 6); see GET /rejected"])
        // 2 refused of 2: under the minimum of 3.
        window.record(provider: .ledgersync, outcome: "bad_token", now: now)
        window.record(provider: .ledgersync, outcome: "bad_token", now: now)
        #expect(window.warnings(providers: [.ledgersync], now: now).isEmpty)
        // 3 refused of 20 (15 %): under the share of 20 %.
        for _ in 0..<17 { window.record(provider: .linkmoney, outcome: "duplicate", now: now) }
        for _ in 0..<3 { window.record(provider: .linkmoney, outcome: "bad_signature", now: now) }
        #expect(window.warnings(providers: [.linkmoney], now: now).isEmpty)
    }
}
