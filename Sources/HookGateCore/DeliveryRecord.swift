/// A delivery as listed by `hookgate events` and the admin endpoints.
public struct DeliveryRecord: Sendable, Codable, Equatable {
    /// The delivery's id.
    public var id: Int64
    /// Its event's row id.
    public var eventRow: Int64
    /// Its event's provider (wire name).
    public var provider: String
    /// Its event's id.
    public var eventID: String
    /// Its event's type.
    public var eventType: String
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
    /// The last failed attempt's excerpt, cleared by a success.
    public var lastError: String?

    /// A record, as a backend reads it.
    public init(
        id: Int64, eventRow: Int64, provider: String, eventID: String, eventType: String, handler: String, status: DeliveryStatus, attempts: Int,
        nextAttemptAt: Int64, orderKey: String?, lastError: String?
    ) {
        self.id = id
        self.eventRow = eventRow
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.handler = handler
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.orderKey = orderKey
        self.lastError = lastError
    }
}
