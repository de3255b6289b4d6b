/// Which events ``EventQueries/eventSummaries(_:)`` lists; `nil` means no condition.
public struct EventFilter: Sendable, Equatable {
    /// Only events having a delivery in this state (to ``handler``, when both are given).
    public var status: DeliveryStatus?
    /// Only this provider's events.
    public var provider: Provider?
    /// Only events having a delivery to this handler.
    public var handler: String?
    /// An exact event type, or a pattern in which `*` (only) matches any run of characters; case-sensitive.
    public var eventType: String?
    /// Only events received at or after this time (Unix ms).
    public var since: Int64?
    /// Only events received before this time (Unix ms).
    public var until: Int64?
    /// The pagination cursor: only events whose row id is smaller.
    public var before: Int64?
    /// At most this many events.
    public var limit: Int

    /// A filter; every condition is optional.
    public init(
        status: DeliveryStatus? = nil, provider: Provider? = nil, handler: String? = nil, eventType: String? = nil, since: Int64? = nil,
        until: Int64? = nil, before: Int64? = nil, limit: Int = 50
    ) {
        self.status = status
        self.provider = provider
        self.handler = handler
        self.eventType = eventType
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }
}
