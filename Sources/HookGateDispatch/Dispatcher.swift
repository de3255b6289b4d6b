import CoreMetrics
import Foundation
import HookGateCore
import Logging
import ServiceLifecycle
import Synchronization

/// The fan-out service: takes due deliveries from the outbox, runs attempts within
/// per-handler and overall concurrency limits, records every attempt, and schedules
/// retries (``RetrySchedule``) until a delivery succeeds or is dead.
///
/// Its handlers come built (``DeliveryHandler``), with their clients in ``HandlerClients``;
/// its times (due times, leases, the waits between them) come from a ``GateClock``.
/// It resumes, on start, whatever a stopped process left in flight (at-least-once).
/// Each claim holds its delivery under a lease (`delivery.lease`) that a keeper task
/// renews every third of the lease while the attempt runs, so a slow handler keeps its
/// delivery and a dead gate's deliveries pass to another gate once the lease runs out.
/// It wakes when the store commits outbox rows, when an attempt finishes, and when
/// the next retry is due. Graceful shutdown stops claiming and lets attempts in
/// flight finish (each is bounded by its handler's timeout); anything cut off stays
/// `in_flight` in the store and is retried at the next start or when its lease runs out.
package final class Dispatcher: DeliveryWaker, Service, Sendable {
    struct Runtime: Sendable {
        let name: String
        let deliverer: any Deliverer
        let concurrency: Int
        let meters: Meters
    }

    /// A handler's figures: attempts by the state each left its delivery in, and their durations.
    struct Meters: Sendable {
        let delivered: CoreMetrics.Counter
        let retrying: CoreMetrics.Counter
        let dead: CoreMetrics.Counter
        let duration: CoreMetrics.Timer

        init(handler: String, factory: any MetricsFactory) {
            func attempts(_ outcome: DeliveryStatus) -> CoreMetrics.Counter {
                CoreMetrics.Counter(
                    label: "hookgate_delivery_attempts_total", dimensions: [("handler", handler), ("outcome", outcome.rawValue)], factory: factory)
            }
            delivered = attempts(.delivered)
            retrying = attempts(.retrying)
            dead = attempts(.dead)
            duration = CoreMetrics.Timer(label: "hookgate_delivery_attempt_duration_seconds", dimensions: [("handler", handler)], factory: factory)
        }
    }

    struct Slots {
        var perHandler: [String: Int] = [:]
        var total = 0
    }

    let store: any DeliveryQueue
    let runtimes: [Runtime]
    let schedule: RetrySchedule
    let globalLimit: Int
    /// How long a claim holds its delivery, in milliseconds.
    let leaseMilliseconds: Int64
    /// Due times, leases and waits.
    let clock: any GateClock
    /// Returns once the store runs: the first claim waits for it.
    let storeRunning: @Sendable () async -> Void
    let logger: Logger
    private let wakeup = WakeupSignal()
    private let slots = Mutex(Slots())
    /// The claims this dispatcher holds now (attempts running or waiting to be recorded).
    private let held = Mutex(Set<DeliveryClaim>())
    /// Attempt results, recorded in batches: one transaction for all that finished while
    /// the previous batch committed. A failed batch is logged; its deliveries stay in
    /// flight and are retried after a restart.
    private let completions: GroupCommitter<AttemptResult, Void>

    /// Works the queue of `store` for `handlers` (built by the composition root), under the
    /// retry schedule, overall concurrency and lease of `delivery`, on `clock`; attempts are
    /// counted through `metrics` (`hookgate_delivery_attempts_total` and
    /// `hookgate_delivery_attempt_duration_seconds`, by handler). `storeRunning` returns once
    /// the store's run has started (``RunnableStore/waitUntilRunning()``): ``run()`` waits for
    /// it before its first query.
    package init(
        delivery: GateConfiguration.Delivery, handlers: [DeliveryHandler], store: any DeliveryQueue, clock: any GateClock = WallClock(),
        storeRunning: @escaping @Sendable () async -> Void = {}, metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger
    ) {
        self.store = store
        self.storeRunning = storeRunning
        self.logger = logger
        self.clock = clock
        schedule = RetrySchedule(delivery)
        globalLimit = delivery.concurrency
        leaseMilliseconds = Int64(delivery.lease) * 1000
        runtimes = handlers.map { handler in
            Runtime(
                name: handler.name, deliverer: handler.deliverer, concurrency: handler.concurrency,
                meters: Meters(handler: handler.name, factory: metrics))
        }
        completions = GroupCommitter(maxBatch: 512) { results in
            do {
                try await store.complete(results)
            } catch {
                logger.error("cannot record \(results.count) attempts", metadata: ["error": "\(error)"])
                throw error
            }
            return Array(repeating: (), count: results.count)
        }
    }

    /// Wakes the dispatcher (new outbox rows, or a redelivery).
    package func notify() {
        wakeup.signal()
    }

    package func run() async throws {
        guard !runtimes.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        await storeRunning()
        let resumed = try await store.resumeInFlight(now: clock.nowMilliseconds())
        if resumed > 0 { logger.notice("resuming deliveries left in flight", metadata: ["count": .stringConvertible(resumed)]) }
        // The lease keeper runs beside the claim loop until every attempt has finished (the
        // discarding group waits for them), then is cancelled.
        await withTaskGroup(of: Void.self) { keeper in
            keeper.addTask { await self.keepLeases() }
            await claimAndAttempt()
            keeper.cancelAll()
        }
        await completions.flush()
        held.withLock { $0.removeAll() }
    }

    /// Claims due deliveries and runs their attempts until graceful shutdown; returns once
    /// the attempts in flight have finished.
    private func claimAndAttempt() async {
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                var claimed = 0
                for runtime in runtimes {
                    let free = reserveSlots(runtime)
                    guard free > 0 else { continue }
                    // Claim in batches: with attempts still in flight, wait until a quarter
                    // of the handler's slots are free (each claim is a write transaction).
                    if free < max(1, runtime.concurrency / 4), inFlight(runtime.name) - free > 0 {
                        releaseSlots(runtime.name, count: free)
                        continue
                    }
                    let jobs: [DeliveryJob]
                    do {
                        let now = clock.nowMilliseconds()
                        jobs = try await store.claimDue(handler: runtime.name, now: now, leaseUntil: now + leaseMilliseconds, limit: free)
                        held.withLock { claims in
                            for job in jobs { claims.insert(DeliveryClaim(deliveryID: job.deliveryID, claim: job.claim)) }
                        }
                    } catch {
                        logger.error("cannot claim deliveries", metadata: ["handler": "\(runtime.name)", "error": "\(error)"])
                        jobs = []
                    }
                    releaseSlots(runtime.name, count: free - jobs.count)
                    claimed += jobs.count
                    for job in jobs {
                        group.addTask { await self.attempt(job, runtime) }
                    }
                }
                if claimed == 0 || atCapacity() {
                    let timeout = await nextWait()
                    await withGracefulShutdownHandler {
                        await wakeup.wait(timeout: timeout, clock: clock)
                    } onGracefulShutdown: { [wakeup] in
                        wakeup.signal()
                    }
                }
            }
        }
    }

    /// Renews the leases of the claims held, every third of the lease, until the run ends.
    /// A failed renewal is logged and tried again at the next tick; should the lease run out
    /// meanwhile, another gate may attempt the delivery too (at-least-once).
    private func keepLeases() async {
        let interval = Duration.milliseconds(leaseMilliseconds / 3)
        while !Task.isCancelled {
            try? await clock.sleep(for: interval)
            guard !Task.isCancelled else { return }
            let claims = Array(held.withLock { $0 })
            guard !claims.isEmpty else { continue }
            do {
                let renewed = try await store.renewLeases(claims, until: clock.nowMilliseconds() + leaseMilliseconds)
                if renewed < claims.count {
                    logger.debug(
                        "some claims were no longer held",
                        metadata: ["held": .stringConvertible(claims.count), "renewed": .stringConvertible(renewed)])
                }
            } catch {
                logger.error("cannot renew delivery leases", metadata: ["count": .stringConvertible(claims.count), "error": "\(error)"])
            }
        }
    }

    private func nextWait() async -> Duration {
        guard let due = try? await store.nextDueTime() else { return .seconds(1) }
        let wait = due - clock.nowMilliseconds()
        return .milliseconds(min(max(wait, 5), 1000))
    }

    /// Takes as many slots as the handler and the overall limit allow; returns the count.
    private func reserveSlots(_ runtime: Runtime) -> Int {
        slots.withLock { slots in
            let used = slots.perHandler[runtime.name, default: 0]
            let free = max(0, min(runtime.concurrency - used, globalLimit - slots.total))
            slots.perHandler[runtime.name] = used + free
            slots.total += free
            return free
        }
    }

    private func releaseSlots(_ name: String, count: Int) {
        guard count > 0 else { return }
        slots.withLock { slots in
            slots.perHandler[name, default: 0] -= count
            slots.total -= count
        }
    }

    private func inFlight(_ name: String) -> Int {
        slots.withLock { $0.perHandler[name, default: 0] }
    }

    private func atCapacity() -> Bool {
        slots.withLock { $0.total >= globalLimit }
            || runtimes.allSatisfy { runtime in slots.withLock { $0.perHandler[runtime.name, default: 0] >= runtime.concurrency } }
    }

    private func attempt(_ job: DeliveryJob, _ runtime: Runtime) async {
        let started = clock.nowMilliseconds()
        // The attempt's duration is measured, not the gate's time: a real process or socket took it.
        let began = ContinuousClock.now
        let outcome = await runtime.deliverer.deliver(job)
        let elapsed = ContinuousClock.now - began
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let next: AttemptResult.Next
        if outcome.succeeded {
            next = .delivered
        } else {
            switch schedule.next(
                afterAttempt: job.attempt, createdAt: job.createdAt, now: clock.nowMilliseconds(), retryAfter: outcome.retryAfter)
            {
            case .retry(let at): next = .retry(at: at)
            case .dead: next = .dead
            }
        }
        let result = AttemptResult(
            deliveryID: job.deliveryID, claim: job.claim, attempt: job.attempt, startedAt: started, durationMilliseconds: milliseconds,
            succeeded: outcome.succeeded,
            statusCode: outcome.statusCode, excerpt: outcome.excerpt, next: next)
        _ = try? await completions.submit(result)  // a failure is logged by the committer's closure
        held.withLock { _ = $0.remove(DeliveryClaim(deliveryID: job.deliveryID, claim: job.claim)) }
        let state: DeliveryStatus = outcome.succeeded ? .delivered : next == .dead ? .dead : .retrying
        switch state {
        case .delivered: runtime.meters.delivered.increment()
        case .dead: runtime.meters.dead.increment()
        default: runtime.meters.retrying.increment()
        }
        runtime.meters.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        // Numbers as numbers (`.stringConvertible`), so the JSON log writes them unquoted.
        let metadata: Logger.Metadata = [
            "handler": .string(runtime.name), "provider": .string(job.provider.rawValue), "event_id": .string(job.eventID),
            "delivery_id": .stringConvertible(job.deliveryID), "attempt": .stringConvertible(job.attempt),
            "duration_ms": .stringConvertible((milliseconds * 10).rounded() / 10), "outcome": .string(state.rawValue),
        ]
        if next == .dead {
            logger.warning("delivery is dead: giving up after the retry schedule", metadata: metadata.merging(["error": "\(outcome.excerpt)"]) { $1 })
        } else if !outcome.succeeded {
            logger.info("delivery attempt failed", metadata: metadata.merging(["error": "\(outcome.excerpt)"]) { $1 })
        } else {
            logger.debug("delivered", metadata: metadata)
        }
        releaseSlots(runtime.name, count: 1)
        wakeup.signal()
    }

}
