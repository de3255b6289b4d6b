import CoreMetrics
import HookGateCore
import Logging
import ServiceLifecycle
import Synchronization

/// Writes refused webhooks to the store's ``Quarantine`` off the intake's path: the intake
/// hands each one to ``submit(_:)``, which never waits; this service writes them in
/// batches. What does not fit in its buffer (``bufferBytes``, ``bufferRequests``) is
/// dropped and counted (`hookgate_quarantine_dropped_total{cause="buffer"}`), so a flood
/// of forged requests costs a bounded amount of memory and never holds intake up; the
/// store's own bound (`quarantine.max_bytes`) then drops the oldest kept requests.
///
/// In the gate's service group it starts before the public listener and stops after it:
/// the rejections of the last requests are written before the process exits.
package final class QuarantineWriter: Service, Sendable {
    /// The most bytes (``RejectedRequest/keptBytes``) waiting to be written.
    package let bufferBytes: Int
    /// The most requests waiting to be written.
    package let bufferRequests: Int
    /// The most requests written in one transaction.
    package static let maxBatch = 512

    private struct Pending {
        var requests: [RejectedRequest] = []
        var bytes = 0
    }

    private let pending = Mutex(Pending())
    /// Set while the buffer is full: under a flood the intake reads it, not the lock.
    private let full = Atomic<Bool>(false)
    /// Drops not yet added to `hookgate_quarantine_dropped_total` (``recordDrops()``).
    private let unrecordedDrops = Atomic<Int>(0)
    private let store: any Quarantine
    private let maxBytes: Int64
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let metrics: GateMetrics
    private let logger: Logger

    /// A writer into `store`, keeping it within `maxBytes` (`quarantine.max_bytes`).
    package init(
        store: any Quarantine, maxBytes: Int64, metrics: GateMetrics, logger: Logger, bufferBytes: Int = 8 * 1_048_576, bufferRequests: Int = 20_000
    ) {
        self.store = store
        self.maxBytes = maxBytes
        self.metrics = metrics
        self.logger = logger
        self.bufferBytes = bufferBytes
        self.bufferRequests = bufferRequests
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether the buffer is full: the intake then counts a refused request as dropped
    /// without building it (``drop()``).
    package var isFull: Bool {
        full.load(ordering: .relaxed)
    }

    /// Counts one refused request not kept because the buffer is full (an atomic add; the
    /// count reaches the metrics at the writer's next batch or ``recordDrops()``).
    package func drop() {
        unrecordedDrops.add(1, ordering: .relaxed)
    }

    /// Adds the drops counted since the last call to `hookgate_quarantine_dropped_total`
    /// (`/stats` and `/metrics` call it before they read).
    package func recordDrops() {
        let count = unrecordedDrops.exchange(0, ordering: .relaxed)
        if count > 0 { metrics.recordQuarantineDrop(cause: "buffer", count: count) }
    }

    /// Queues `request` to be written; drops it (counted) when the buffer is full. Never waits.
    package func submit(_ request: RejectedRequest) {
        let size = request.keptBytes
        let queued = pending.withLock { pending -> Bool in
            guard pending.requests.count < bufferRequests, pending.bytes + size <= bufferBytes else {
                full.store(true, ordering: .relaxed)
                return false
            }
            pending.requests.append(request)
            pending.bytes += size
            if pending.requests.count >= bufferRequests || pending.bytes >= bufferBytes { full.store(true, ordering: .relaxed) }
            return true
        }
        guard queued else { return drop() }
        signal.yield()
    }

    /// Writes what is queued until a graceful shutdown or cancellation, then what is left.
    package func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in signals { await flush() }
        } onGracefulShutdown: { [signal] in
            signal.finish()
        }
        await flush(pacing: false)
    }

    /// The most of its time the writer spends writing while requests keep coming: after a batch
    /// that took `t`, it waits `t × (1 / share − 1)` before the next one if more are queued.
    /// Under a flood of forged requests the store's writer (SQLite has one) stays free for
    /// accepted events most of the time; what the writer cannot keep up with overflows its
    /// buffer and is dropped and counted. With nothing more queued it does not wait.
    package static let writeShare = 0.02

    /// The wait after a batch that took `elapsed`, while more are queued: `elapsed × (1 / ``writeShare`` − 1)`.
    /// At most ``maxPause``: a write slowed by a saturated machine does not stop the writer for minutes.
    static func pause(after elapsed: Duration) -> Duration {
        min(elapsed * (1 / writeShare - 1), maxPause)
    }

    /// The longest wait between two batches.
    static let maxPause = Duration.seconds(2)

    /// Writes every queued request, a batch per transaction, waiting between batches as
    /// ``writeShare`` says while more keep coming (`pacing: false`: at once, for the last flush).
    package func flush(pacing: Bool = true) async {
        let clock = ContinuousClock()
        while true {
            let started = clock.now
            let batch = pending.withLock { pending -> [RejectedRequest] in
                let count = min(pending.requests.count, Self.maxBatch)
                let batch = Array(pending.requests.prefix(count))
                pending.requests.removeFirst(count)
                pending.bytes -= batch.reduce(0) { $0 + $1.keptBytes }
                full.store(pending.requests.count >= bufferRequests || pending.bytes >= bufferBytes, ordering: .relaxed)
                return batch
            }
            recordDrops()
            guard !batch.isEmpty else { return }
            do {
                let dropped = try await store.quarantine(batch, maxBytes: maxBytes)
                var counts: [Provider: [HookGateError.Code: Int]] = [:]
                for request in batch { counts[request.provider, default: [:]][request.reason, default: 0] += 1 }
                for (provider, codes) in counts {
                    for (code, count) in codes { metrics.recordQuarantined(provider: provider, reason: code, count: count) }
                }
                if dropped > 0 { metrics.recordQuarantineDrop(cause: "bound", count: dropped) }
            } catch {
                metrics.recordQuarantineDrop(cause: "error", count: batch.count)
                logger.error("quarantine write failed; \(batch.count) refused requests not kept", metadata: ["error": "\(error)"])
            }
            let more = pending.withLock { !$0.requests.isEmpty }
            // Once a graceful shutdown begins the rest is written at once: the pause ends with it.
            if pacing, more, !Task.isShuttingDownGracefully {
                let pause = Self.pause(after: clock.now - started)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            }
        }
    }
}
