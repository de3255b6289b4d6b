/// One event with its body and every delivery attempt: what `GET /events/{id}` returns and
/// `hookgate events show --json` prints (snake_case through ``SnakeCaseJSON``).
public struct EventDocument: Encodable, Sendable {
    /// A delivery with its attempts, oldest first.
    public struct DeliveryDetail: Encodable, Sendable {
        /// The delivery.
        public var delivery: DeliveryRecord
        /// Its attempts, in order.
        public var attempts: [AttemptRecord]
    }

    /// The store's row id.
    public var id: Int64
    /// The provider (wire name).
    public var provider: String
    /// The event's id.
    public var eventId: String
    /// The event's type.
    public var eventType: String
    /// Unix ms.
    public var receivedAt: Int64
    /// The sender's address, when known.
    public var clientIp: String?
    /// The intake request's id.
    public var requestId: String
    /// The kept request headers as `[name, value]` pairs, in order.
    public var headers: [[String]]
    /// Lowercase hex SHA-256 of the body.
    public var bodySha256: String
    /// The body as text when it is UTF-8, else `nil` and ``bodyBase64`` holds it.
    public var body: String?
    /// The body in base64 when it is not UTF-8 text.
    public var bodyBase64: String?
    /// The verified token's claims (JSON), when the provider signs.
    public var claims: String?
    /// The event's deliveries, oldest first.
    public var deliveries: [DeliveryDetail]
    /// Set when the event was recovered from the quarantine.
    public var recovered: EventRecovery?
}

extension EventQueries {
    /// The document of `event`: the event, its deliveries (oldest first) and their attempts.
    /// - Throws: the backend's error when a query fails.
    public func document(of event: StoredEvent) async throws -> EventDocument {
        var details: [EventDocument.DeliveryDetail] = []
        for delivery in try await deliveries(eventRow: event.id, limit: 1000).reversed() {
            details.append(.init(delivery: delivery, attempts: try await attempts(deliveryID: delivery.id)))
        }
        let body = EncodedBody(event.body)
        return EventDocument(
            id: event.id, provider: event.provider.rawValue, eventId: event.eventID, eventType: event.eventType, receivedAt: event.receivedAt,
            clientIp: event.clientIP, requestId: event.requestID, headers: event.headers.map { [$0.0, $0.1] }, bodySha256: event.bodySHA256,
            body: body.text, bodyBase64: body.base64, claims: event.claims, deliveries: details, recovered: event.recovered)
    }
}
