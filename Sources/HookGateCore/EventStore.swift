/// Durable storage of accepted events, with dedup by (provider, event id).
///
/// Implementation: `SQLiteEventStore` in HookGateStore.
public protocol EventStore: Sendable {
    /// Stores `event` unless one with the same provider and event id is already stored.
    ///
    /// Returns only after the transaction has committed with the configured
    /// durability, so the caller may acknowledge the sender.
    /// - Returns: `.accepted` or `.duplicate`.
    /// - Throws: ``HookGateError`` `store_unavailable` when the event could not be committed.
    func store(_ event: IncomingEvent) async throws(HookGateError) -> StoreOutcome
}

/// What storing an event did.
public enum StoreOutcome: String, Sendable, Equatable {
    case accepted
    case duplicate
}
