import JOSE

/// A verified webhook, ready to be stored: the raw body exactly as received plus what
/// is worth keeping about how it arrived.
public struct IncomingEvent: Sendable {
    public var provider: Provider
    /// The dedup key (see ``EventClassifier``).
    public var eventID: String
    public var eventType: String
    /// The body, byte for byte.
    public var body: [UInt8]
    /// Unix milliseconds.
    public var receivedAt: Int64
    /// Headers kept for export and replay (content type, the verification token).
    /// Never holds a shared secret.
    public var headers: [(String, String)]
    public var clientIP: String?
    public var requestID: String
    /// The verified claims as compact JSON, when a token was verified.
    public var claims: String?
    /// The outbox rows to write in the same transaction if the event is new.
    public var deliveries: [PlannedDelivery]
    /// The body's lowercase hex SHA-256 when the intake already computed it (a JWT's body
    /// hash check, or an id that is the body hash), so the store does not hash it again.
    public var knownBodySHA256: String?

    public init(
        provider: Provider, eventID: String, eventType: String, body: [UInt8], receivedAt: Int64, headers: [(String, String)],
        clientIP: String?, requestID: String, claims: String?, deliveries: [PlannedDelivery] = []
    ) {
        self.deliveries = deliveries
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.body = body
        self.receivedAt = receivedAt
        self.headers = headers
        self.clientIP = clientIP
        self.requestID = requestID
        self.claims = claims
    }
}

extension IncomingEvent {
    /// Lowercase hex SHA-256 of the body: ``knownBodySHA256`` when the intake computed it,
    /// else hashed here.
    public var bodySHA256: String {
        knownBodySHA256 ?? SHA256.hexHash(body)
    }
}

extension IncomingEvent {
    /// `stored` as an event to store again, with no deliveries planned: what a store copy
    /// writes into its target (the deliveries are copied on their own).
    public init(copying stored: StoredEvent) {
        self.init(
            provider: stored.provider, eventID: stored.eventID, eventType: stored.eventType, body: stored.body, receivedAt: stored.receivedAt,
            headers: stored.headers, clientIP: stored.clientIP, requestID: stored.requestID, claims: stored.claims)
        knownBodySHA256 = stored.bodySHA256
    }
}
