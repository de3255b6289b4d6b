/// One delivery as `hookgate store copy` moves it: its state, attempts, due time, order key
/// and attempt records. The claim and lease are never copied.
public struct CopiedDelivery: Sendable, Equatable {
    /// The handler it goes to.
    public var handler: String
    /// Where it stands.
    public var status: DeliveryStatus
    /// Attempts made so far.
    public var attempts: Int
    /// Unix ms when it is due (for `pending`/`retrying`), else when it last changed.
    public var nextAttemptAt: Int64
    /// The order key, when its handler orders by one.
    public var orderKey: String?
    /// Unix ms when the outbox row was written.
    public var createdAt: Int64
    /// Unix ms of its last change.
    public var updatedAt: Int64
    /// The last failed attempt's excerpt.
    public var lastError: String?
    /// Its recorded attempts, in order (their ``AttemptRecord/deliveryID`` is the source's and is not copied).
    public var records: [AttemptRecord]

    /// A delivery, as a source reads it.
    public init(
        handler: String, status: DeliveryStatus, attempts: Int, nextAttemptAt: Int64, orderKey: String?, createdAt: Int64, updatedAt: Int64,
        lastError: String?, records: [AttemptRecord]
    ) {
        self.handler = handler
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.orderKey = orderKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastError = lastError
        self.records = records
    }

    /// The delivery as the target must hold it: one claimed on the source (`in_flight`, under a
    /// lease of a gate that will not exist on the target) becomes due at `now`, `pending` when never
    /// attempted, else `retrying`, as ``DeliveryQueue/resumeInFlight(now:)`` would put it back.
    public func releasingClaim(now: Int64) -> CopiedDelivery {
        guard status == .inFlight else { return self }
        var released = self
        released.status = attempts == 0 ? .pending : .retrying
        released.nextAttemptAt = min(nextAttemptAt, now)
        return released
    }
}
