/// The outbox as a work queue: due deliveries are claimed, attempted, completed, retried,
/// given up on (dead) and redelivered.
///
/// A claim marks a delivery `in_flight` under a lease: until it completes, or until the
/// lease runs out without being renewed (its gate died), when any gate may claim it again.
///
/// Implementations: `SQLiteEventStore` in HookGateStore (one gate per file) and
/// `PostgresEventStore` in HookGatePostgres (any number of gates on one database).
public protocol DeliveryQueue: Sendable {
    /// Puts deliveries a stopped process left `in_flight` back to be attempted at `now` (Unix ms):
    /// `pending` when never attempted, else `retrying` (at-least-once: the handler may see that
    /// attempt again). Call once at start, before the first claim.
    ///
    /// A backend one gate owns (SQLite) puts back every delivery in flight. A shared backend
    /// (PostgreSQL) cannot tell a dead gate's claims from a live one's and puts back only
    /// those whose lease ran out; the others follow when their leases do.
    /// - Returns: how many deliveries were put back.
    @discardableResult
    func resumeInFlight(now: Int64) async throws -> Int

    /// Claims up to `limit` deliveries of `handler` that are due at `now` (`pending` or
    /// `retrying` with `next_attempt_at <= now`, or `in_flight` under a lease that ran out
    /// before `now`), soonest due first, marks them `in_flight` with a lease until
    /// `leaseUntil` (Unix ms) and a fresh claim token, and returns them with their events.
    /// A claimed delivery is not claimable again until it is completed, put back, or its
    /// lease runs out. Concurrent claims (from any number of gates) never return one
    /// delivery twice.
    ///
    /// Order by key: a delivery with an order key is claimable only when no earlier delivery
    /// of the same handler and key is still pending, retrying or in flight.
    func claimDue(handler: String, now: Int64, leaseUntil: Int64, limit: Int) async throws -> [DeliveryJob]

    /// Extends to `until` (Unix ms) the leases of these claims that are still held (in flight
    /// under that claim token); claims that were lost are left alone.
    /// - Returns: how many leases were extended.
    @discardableResult
    func renewLeases(_ claims: [DeliveryClaim], until: Int64) async throws -> Int

    /// Records each attempt and moves its delivery on, all in one transaction: `delivered`,
    /// `retrying` at the given time, or `dead`. A result whose claim is no longer held (the
    /// delivery is not `in_flight` under that claim token: redelivered, or claimed again after
    /// the lease ran out) is recorded as an attempt but does not move the delivery.
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

    /// Calls `listener` after every commit that wrote outbox rows or made deliveries due (the
    /// dispatcher's wake-up; polling remains the backstop): this process's commits, and on a
    /// shared backend other gates' too. Replaces any earlier listener.
    func onOutboxWrite(_ listener: @escaping @Sendable () -> Void)
}

/// A claim held on a delivery: its id and the claim's token.
public struct DeliveryClaim: Sendable, Hashable {
    public var deliveryID: Int64
    public var claim: Int64

    public init(deliveryID: Int64, claim: Int64) {
        self.deliveryID = deliveryID
        self.claim = claim
    }
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
