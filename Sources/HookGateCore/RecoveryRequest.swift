/// The body of `POST /rejected/{id}/recover` (``ignoreAge`` and ``via`` only) and of the bulk
/// `POST /rejected/recover` (the filter and ``limit`` too); every field is optional and an
/// empty body takes every default. Read and written with ``SnakeCaseJSON``.
public struct RecoveryRequest: Codable, Sendable, Equatable {
    /// Waive the freshness check only (default `false`).
    public var ignoreAge: Bool?
    /// The route the recovery is recorded as: `admin_api` (default), `cli` or `console`.
    public var via: String?
    /// Bulk: only this provider's.
    public var provider: String?
    /// Bulk: only those refused with this code.
    public var reason: String?
    /// Bulk: only those received at or after this time, Unix milliseconds.
    public var since: Int64?
    /// Bulk: at most this many (1 to 10,000; default 1,000).
    public var limit: Int?

    public init(
        ignoreAge: Bool? = nil, via: String? = nil, provider: String? = nil, reason: String? = nil, since: Int64? = nil, limit: Int? = nil
    ) {
        self.ignoreAge = ignoreAge
        self.via = via
        self.provider = provider
        self.reason = reason
        self.since = since
        self.limit = limit
    }
}
