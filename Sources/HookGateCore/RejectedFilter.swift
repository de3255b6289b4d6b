/// Which rejected requests ``Quarantine/rejected(_:)`` lists; `nil` means no condition.
public struct RejectedFilter: Sendable, Equatable {
    /// Only this provider's.
    public var provider: Provider?
    /// Only those refused with this code.
    public var reason: HookGateError.Code?
    /// Only those received at or after this time (Unix ms).
    public var since: Int64?
    /// The pagination cursor: only rows whose id is smaller.
    public var before: Int64?
    /// Only those not yet recovered (the bulk recovery's default).
    public var unrecoveredOnly: Bool
    /// At most this many.
    public var limit: Int

    public init(
        provider: Provider? = nil, reason: HookGateError.Code? = nil, since: Int64? = nil, before: Int64? = nil, unrecoveredOnly: Bool = false,
        limit: Int = 50
    ) {
        self.provider = provider
        self.reason = reason
        self.since = since
        self.before = before
        self.unrecoveredOnly = unrecoveredOnly
        self.limit = limit
    }
}
