/// The outbox as a work queue: due deliveries are claimed, attempted, completed, retried,
/// given up on (dead) and redelivered.
///
/// Implementations: `SQLiteEventStore` in HookGateStore (one gate: a claim marks the
/// delivery `in_flight` until it completes or ``resumeInFlight(now:)`` runs at the next start).
public protocol DeliveryQueue: Sendable {
    /// Puts every delivery left `in_flight` back to be attempted at `now` (Unix ms): `pending`
    /// when it was never attempted, else `retrying` (at-least-once: the handler may see that
    /// attempt again). Call once at start, before the first claim.
    /// - Returns: how many deliveries were put back.
    @discardableResult
    func resumeInFlight(now: Int64) async throws -> Int

    /// Claims up to `limit` deliveries of `handler` that are due at `now` (`pending` or
    /// `retrying` with `next_attempt_at <= now`), soonest due first, marks them `in_flight`
    /// and returns them with their events. A claimed delivery is not claimable again until
    /// it is completed or put back.
    ///
    /// Order by key: a delivery with an order key is claimable only when no earlier delivery
    /// of the same handler and key is still pending, retrying or in flight.
    func claimDue(handler: String, now: Int64, limit: Int) async throws -> [DeliveryJob]

    /// Records each attempt and moves its delivery on, all in one transaction: `delivered`,
    /// `retrying` at the given time, or `dead`. A result for a delivery that is no longer
    /// `in_flight` is recorded as an attempt but does not move the delivery.
    func complete(_ results: [AttemptResult]) async throws

    /// The earliest `next_attempt_at` (Unix ms) of a waiting (`pending`/`retrying`) delivery, if any.
    func nextDueTime() async throws -> Int64?

    /// Makes the deliveries of event row `eventRow` (all, or only `handler`'s) `retrying` and
    /// due now, whatever their state except `in_flight`.
    /// - Returns: how many deliveries will be attempted again.
    @discardableResult
    func redeliver(eventRow: Int64, handler: String?) async throws -> Int

    /// Makes delivery `deliveryID` `retrying` and due now, unless it is `in_flight`.
    func redeliver(deliveryID: Int64) async throws -> RedeliveryOutcome

    /// Makes every `dead` delivery (of `handler`, when given) `retrying` and due now.
    /// - Returns: how many deliveries will be attempted again.
    @discardableResult
    func redeliverDead(handler: String?) async throws -> Int

    /// Calls `listener` after every commit of this process that wrote outbox rows (the
    /// dispatcher's wake-up; polling remains the backstop). Replaces any earlier listener.
    func onOutboxWrite(_ listener: @escaping @Sendable () -> Void)
}

extension DeliveryQueue {
    /// Makes the deliveries of event row `eventRow` due now; see ``redeliver(eventRow:handler:)``.
    @discardableResult
    public func redeliver(eventRow: Int64) async throws -> Int {
        try await redeliver(eventRow: eventRow, handler: nil)
    }

    /// Makes every dead delivery due now; see ``redeliverDead(handler:)``.
    @discardableResult
    public func redeliverDead() async throws -> Int {
        try await redeliverDead(handler: nil)
    }
}
