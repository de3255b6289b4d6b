/// An event with the state of each of its deliveries, as `hookgate events list` and `GET /events` show it.
public struct EventSummary: Sendable, Codable, Equatable {
    /// One delivery's state.
    public struct Delivery: Sendable, Codable, Equatable {
        /// The delivery's id.
        public var id: Int64
        /// The handler it goes to.
        public var handler: String
        /// Where it stands.
        public var status: DeliveryStatus
        /// Attempts made so far.
        public var attempts: Int

        /// A delivery's state, as a backend reads it.
        public init(id: Int64, handler: String, status: DeliveryStatus, attempts: Int) {
            self.id = id
            self.handler = handler
            self.status = status
            self.attempts = attempts
        }
    }

    /// The event's row id.
    public var id: Int64
    /// The provider (wire name).
    public var provider: String
    /// The event's id.
    public var eventID: String
    /// The event's type.
    public var eventType: String
    /// Unix ms.
    public var receivedAt: Int64
    /// Its deliveries, oldest first.
    public var deliveries: [Delivery]

    /// A summary, as a backend reads it.
    public init(id: Int64, provider: String, eventID: String, eventType: String, receivedAt: Int64, deliveries: [Delivery]) {
        self.id = id
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.receivedAt = receivedAt
        self.deliveries = deliveries
    }
}
