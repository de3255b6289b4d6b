/// What a target of `hookgate store copy` records about the copy that wrote it (one row, in the
/// same transaction as every batch): which source, how far, and since when changes on the source
/// may not have been brought over. It makes the copy resumable and idempotent, and lets a target
/// holding anything else be refused.
public struct CopyMarker: Sendable, Equatable {
    /// The source's identity (``StoreCopySource/copyIdentity``): backend and location, no password.
    public var source: String
    /// The highest source event row copied so far: the next batch starts after it.
    public var throughRow: Int64
    /// Whether the last run finished (every row up to its start, the keys, the resync).
    public var complete: Bool
    /// Unix ms: deliveries of copied events that changed on the source at or after this time may
    /// differ on the target; the next run brings them over.
    public var readsSince: Int64
    /// Unix ms of the marker's last write.
    public var updatedAt: Int64

    /// A marker.
    public init(source: String, throughRow: Int64, complete: Bool, readsSince: Int64, updatedAt: Int64) {
        self.source = source
        self.throughRow = throughRow
        self.complete = complete
        self.readsSince = readsSince
        self.updatedAt = updatedAt
    }
}
