/// Something that sends due deliveries and can be told to look for new ones now
/// (after a redelivery, or new outbox rows), instead of at its next poll.
///
/// Implementations: `Dispatcher` in HookGateDispatch.
public protocol DeliveryWaker: Sendable {
    /// Wakes the sender; cheap, never blocks, safe from any thread.
    func notify()
}
