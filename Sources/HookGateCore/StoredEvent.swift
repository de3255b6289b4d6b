/// An event as the store holds it.
public struct StoredEvent: Sendable {
    /// The store's row id (stable; used by the CLI and admin endpoints).
    public var id: Int64
    /// The provider.
    public var provider: Provider
    /// The event's id (dedup key with the provider).
    public var eventID: String
    /// The event's type.
    public var eventType: String
    /// The body, byte for byte as received.
    public var body: [UInt8]
    /// Lowercase hex SHA-256 of the body.
    public var bodySHA256: String
    /// The request's headers, in order, as kept at intake.
    public var headers: [(String, String)]
    /// The sender's address, when known.
    public var clientIP: String?
    /// The intake request's id.
    public var requestID: String
    /// Unix milliseconds.
    public var receivedAt: Int64
    /// The verified token's claims (JSON), when the provider signs.
    public var claims: String?
    /// Set when the event was recovered from the quarantine.
    public var recovered: EventRecovery?

    /// An event, as a backend reads it.
    public init(
        id: Int64, provider: Provider, eventID: String, eventType: String, body: [UInt8], bodySHA256: String, headers: [(String, String)],
        clientIP: String?, requestID: String, receivedAt: Int64, claims: String?, recovered: EventRecovery? = nil
    ) {
        self.recovered = recovered
        self.id = id
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.body = body
        self.bodySHA256 = bodySHA256
        self.headers = headers
        self.clientIP = clientIP
        self.requestID = requestID
        self.receivedAt = receivedAt
        self.claims = claims
    }
}
