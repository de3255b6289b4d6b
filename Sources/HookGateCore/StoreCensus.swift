/// What a store holds, counted the same way on every backend, for the copy's summary table and
/// check: events per provider, deliveries per state, attempt records and saved keys.
public struct StoreCensus: Sendable, Equatable {
    /// Events per provider (wire name).
    public var events: [String: Int]
    /// Deliveries per state; a source counts an `in_flight` delivery as the target will hold it
    /// (`pending` when never attempted, else `retrying`).
    public var deliveries: [DeliveryStatus: Int]
    /// Attempt records.
    public var attempts: Int
    /// Saved keys.
    public var keys: Int

    /// A census.
    public init(events: [String: Int] = [:], deliveries: [DeliveryStatus: Int] = [:], attempts: Int = 0, keys: Int = 0) {
        self.events = events
        self.deliveries = deliveries
        self.attempts = attempts
        self.keys = keys
    }

    /// Events of every provider.
    public var eventTotal: Int { events.values.reduce(0, +) }
    /// Deliveries in every state.
    public var deliveryTotal: Int { deliveries.values.reduce(0, +) }
}
