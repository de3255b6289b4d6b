/// Which deliveries ``EventQueries/deliveries(_:)`` lists; `nil` means no condition.
public struct DeliveryFilter: Sendable, Equatable {
    /// Only deliveries in this state.
    public var status: DeliveryStatus?
    /// Only deliveries of this provider's events.
    public var provider: Provider?
    /// Only deliveries to this handler.
    public var handler: String?
    /// Only the deliveries of this event (row id).
    public var eventRow: Int64?
    /// At most this many deliveries.
    public var limit: Int

    /// A filter; every condition is optional.
    public init(status: DeliveryStatus? = nil, provider: Provider? = nil, handler: String? = nil, eventRow: Int64? = nil, limit: Int = 100) {
        self.status = status
        self.provider = provider
        self.handler = handler
        self.eventRow = eventRow
        self.limit = limit
    }
}
