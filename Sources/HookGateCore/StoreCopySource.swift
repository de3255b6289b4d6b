/// The store contract's role for being copied from (`hookgate store copy --from`): reading every
/// event with its deliveries and attempt records in row order, in batches, the saved keys, and
/// the figures the copy is checked against. Nothing here writes: a source is opened read-only
/// and may be in use by a running gate.
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in HookGatePostgres.
public protocol StoreCopySource: RunnableStore {
    /// The store's identity for the target's ``CopyMarker``: backend and location, never a password.
    var copyIdentity: String { get }

    /// The highest event row id now (0 when there are no events): a run copies up to it.
    func copyHighestRow() async throws -> Int64

    /// Up to `limit` events with row ids in (`afterRow`, `throughRow`], in row order, each with its
    /// deliveries (in id order) and their attempt records, read in one transaction.
    func copyEvents(afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent]

    /// Like ``copyEvents(afterRow:throughRow:limit:)``, only the events with a delivery changed
    /// (its `updated_at`) at or after `changedSince` (Unix ms): what a resumed copy brings over again.
    func copyEvents(changedSince: Int64, afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent]

    /// How many deliveries of events with row ids up to `throughRow` changed at or after `since` (Unix ms).
    func copyChangedDeliveries(since: Int64, throughRow: Int64) async throws -> Int

    /// How many events have row ids above `row`: what a gate committed after a copy read up to it.
    func copyEventCount(afterRow: Int64) async throws -> Int

    /// Every saved key.
    func copyKeys() async throws -> [CopiedKey]

    /// The counts of events (with row ids up to `throughRow`, when given), their deliveries and
    /// attempt records, and the saved keys.
    func copyCensus(throughRow: Int64?) async throws -> StoreCensus

    /// The event ids of `provider` (with row ids up to `throughRow`, when given), in no particular order.
    func copyEventIDs(provider: String, throughRow: Int64?) async throws -> [String]

    /// Up to `limit` rejected requests of the quarantine with ids above `afterID`, whole, in id
    /// order (none when the store predates the quarantine).
    func copyRejected(afterID: Int64, limit: Int) async throws -> [RejectedRequest]
    /// How many rejected requests have ids up to `throughID`.
    func copyRejectedCount(throughID: Int64) async throws -> Int
}
