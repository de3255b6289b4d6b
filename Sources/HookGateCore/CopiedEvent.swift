/// One event as `hookgate store copy` moves it: the event with its identity, body, headers and
/// claims, and every delivery of it with their attempt records.
public struct CopiedEvent: Sendable {
    /// The event; its ``StoredEvent/id`` is the source's row id (the copy's cursor), never written to the target.
    public var event: StoredEvent
    /// Its deliveries, in the source's id order (the order `order_key` claims follow).
    public var deliveries: [CopiedDelivery]

    /// An event and its deliveries, as a source reads them.
    public init(event: StoredEvent, deliveries: [CopiedDelivery]) {
        self.event = event
        self.deliveries = deliveries
    }

    /// The event with every claim in flight released (see ``CopiedDelivery/releasingClaim(now:)``).
    public func releasingClaims(now: Int64) -> CopiedEvent {
        CopiedEvent(event: event, deliveries: deliveries.map { $0.releasingClaim(now: now) })
    }
}
