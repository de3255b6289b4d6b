/// The store's quarantine: webhooks the gate refused with 400 or 401, kept bounded so
/// they can be recovered once the configuration is fixed.
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in
/// HookGatePostgres; the store contract suite states every promise. Intake never waits
/// on it: the server's `QuarantineWriter` batches requests to ``quarantine(_:maxBytes:)``
/// off the hot path.
public protocol Quarantine: Sendable {
    /// Keeps `requests` (in one transaction, without waiting for fsync: they were refused,
    /// nobody was acknowledged), then drops the oldest kept requests until the kept bytes
    /// (``RejectedRequest/keptBytes``) are at most `maxBytes`.
    /// - Returns: how many requests were dropped to keep the bound.
    @discardableResult
    func quarantine(_ requests: [RejectedRequest], maxBytes: Int64) async throws -> Int

    /// Rejected requests matching `filter`, newest (highest id) first, without their bodies
    /// (``RejectedRequest/body`` empty; ``quarantineRequest(id:)`` reads one whole).
    func rejected(_ filter: RejectedFilter) async throws -> [RejectedRequest]

    /// The rejected request with id `id`, whole, or `nil`.
    func quarantineRequest(id: Int64) async throws -> RejectedRequest?

    /// Records `request.recovery` on the rejected request `request.id`; when its outcome is
    /// `accepted`, the stored event (`request.provider`, `recovery.eventID`) records it too
    /// (``RejectedRequest/eventRecovery``). Does nothing when `request.recovery` is `nil`.
    func markRecovered(_ request: RejectedRequest) async throws

    /// Deletes the rejected requests received before `cutoff` (Unix ms); returns how many.
    @discardableResult
    func pruneRejected(receivedBefore cutoff: Int64) async throws -> Int

    /// How many requests are kept and their kept bytes.
    func quarantineUsage() async throws -> (requests: Int, bytes: Int64)
}
