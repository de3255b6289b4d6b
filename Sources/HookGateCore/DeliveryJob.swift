/// A claimed delivery: everything a handler needs to make one attempt.
public struct DeliveryJob: Sendable {
    /// The delivery's id.
    public var deliveryID: Int64
    /// This claim's token: the result of the attempt and lease renewals name it, so a gate
    /// whose lease ran out (and whose delivery another gate claimed since) moves nothing.
    public var claim: Int64
    /// The handler's name.
    public var handler: String
    /// This attempt's number, from 1.
    public var attempt: Int
    /// Unix ms when the delivery was created (the retry schedule's origin).
    public var createdAt: Int64
    /// The event's row id.
    public var eventRow: Int64
    /// The event's provider.
    public var provider: Provider
    /// The event's id.
    public var eventID: String
    /// The event's type.
    public var eventType: String
    /// The body, byte for byte as received.
    public var body: [UInt8]
    /// The `Content-Type` the sender gave, if any.
    public var contentType: String?
    /// Unix ms.
    public var receivedAt: Int64

    /// A job; a backend builds these when it claims deliveries.
    public init(
        deliveryID: Int64, claim: Int64, handler: String, attempt: Int, createdAt: Int64, eventRow: Int64, provider: Provider, eventID: String,
        eventType: String, body: [UInt8], contentType: String?, receivedAt: Int64
    ) {
        self.deliveryID = deliveryID
        self.claim = claim
        self.handler = handler
        self.attempt = attempt
        self.createdAt = createdAt
        self.eventRow = eventRow
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.body = body
        self.contentType = contentType
        self.receivedAt = receivedAt
    }
}
