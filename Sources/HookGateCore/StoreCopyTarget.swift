/// The store contract's role for being copied into (`hookgate store copy --to`): the copy's
/// marker, and batches written each in one transaction together with the marker, so a copy
/// killed at any point leaves a target the next run continues from.
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in HookGatePostgres.
public protocol StoreCopyTarget: RunnableStore {
    /// The marker an earlier run of a copy left, or `nil` when no copy wrote here.
    func copyMarker() async throws -> CopyMarker?

    /// Whether the store holds any event, delivery, attempt or saved key.
    func copyHoldsData() async throws -> Bool

    /// Writes `events` and `marker` in one transaction. An event not stored yet (by provider and
    /// event id) is inserted with its deliveries (in the given order, so `order_key` order holds)
    /// and their attempt records; for one already stored, its deliveries are brought to the given
    /// state in place (same ids, so the order holds) and their attempt records replaced.
    /// Deliveries are written unclaimed, whatever state they are given in.
    func importCopy(_ events: [CopiedEvent], marker: CopyMarker) async throws

    /// Saves `keys` (replacing a key of the same provider and `kid`) and `marker`, in one transaction.
    func importKeys(_ keys: [CopiedKey], marker: CopyMarker) async throws

    /// The counts of everything the store holds (see ``StoreCopySource/copyCensus(throughRow:)``).
    func copyCensus(throughRow: Int64?) async throws -> StoreCensus

    /// The event ids of `provider`, in no particular order.
    func copyEventIDs(provider: String, throughRow: Int64?) async throws -> [String]

    /// Writes rejected requests of the quarantine with their ids, in one transaction: one
    /// already here (same id, an earlier run) takes the given recovery; the quarantine's
    /// kept bytes are counted again. Running it twice writes nothing new.
    func importRejected(_ requests: [RejectedRequest]) async throws
    /// How many rejected requests have ids up to `throughID`.
    func copyRejectedCount(throughID: Int64) async throws -> Int
}
