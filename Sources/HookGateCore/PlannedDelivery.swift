/// A delivery the outbox will hold for an accepted event: which handler, and the
/// value of the handler's `order_key` in the body (deliveries sharing a value are
/// made one at a time, in arrival order).
public struct PlannedDelivery: Sendable, Equatable {
    public var handler: String
    public var orderKey: String?

    public init(handler: String, orderKey: String?) {
        self.handler = handler
        self.orderKey = orderKey
    }
}
