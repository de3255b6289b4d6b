/// Durable storage of accepted events and their outbox rows, with dedup by (provider, event id).
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in HookGatePostgres. Every promise here is stated by
/// the store contract suite (`Tests/HookGateTests/StoreContractTests.swift`).
public protocol EventStore: RunnableStore {
    /// Stores `event` and, when it is new, one outbox row (a `pending` delivery, due at
    /// `event.receivedAt`) per planned delivery, in one transaction.
    ///
    /// An event whose provider and event id are already stored is a duplicate: nothing is
    /// written, and no outbox row either. Of concurrent copies of one event, exactly one is
    /// accepted. The same event id under another provider is a different event.
    /// Returns only after the transaction has committed with the configured durability,
    /// so the caller may acknowledge the sender.
    /// - Returns: `.accepted` or `.duplicate`.
    /// - Throws: ``HookGateError`` `overloaded` when too many events already wait for a commit
    ///   (nothing is stored), `store_unavailable` when the transaction failed.
    func store(_ event: IncomingEvent) async throws(HookGateError) -> StoreOutcome

    /// ``store(_:)`` with a completion instead of a suspension, for callers on an event
    /// loop: `completion` runs exactly once, with what ``store(_:)`` would return or throw,
    /// when the transaction holding `event` has committed or failed (where the store
    /// committed it: a task, or its writer's queue), or, when the store is overloaded, at once on the caller's thread
    /// before this returns. It must not block: the rest of the batch is answered after it.
    func store(_ event: IncomingEvent, completion: @escaping @Sendable (Result<StoreOutcome, HookGateError>) -> Void)

    /// Deletes the events received before `cutoff` (Unix ms) with their deliveries and
    /// attempts, in transactions short enough not to hold intake up. A deleted event id is
    /// no longer a duplicate: the retention is the dedup window.
    /// - Returns: how many events were deleted.
    /// - Throws: the backend's error when a deletion fails (earlier chunks stay deleted).
    @discardableResult
    func prune(receivedBefore cutoff: Int64) async throws -> Int

    /// Why the store cannot take events now (for `/readyz`), or `nil` when it can.
    func writeProblem() async -> String?
}

/// What storing an event did.
public enum StoreOutcome: String, Sendable, Equatable, Codable {
    case accepted
    case duplicate
}
