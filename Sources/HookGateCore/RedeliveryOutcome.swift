/// What ``DeliveryQueue/redeliver(deliveryID:)`` did.
public enum RedeliveryOutcome: Sendable, Equatable {
    /// No delivery has this id.
    case notFound
    /// The delivery is being attempted right now; it was left alone.
    case inFlight
    /// The delivery is due now (whatever its state was, delivered and dead included).
    case queued
}
