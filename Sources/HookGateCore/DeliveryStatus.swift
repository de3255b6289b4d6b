/// Where a delivery stands. The raw values are the wire strings: the store's `status`
/// column, the admin JSON, and the `hookgate events` output and `--status` argument.
///
/// `pending` (never tried) and `retrying` (tried, due again at `next_attempt_at`) are
/// waiting; `inFlight` is claimed by a dispatcher; `delivered` and `dead` are final
/// until a redelivery makes the delivery `retrying` again.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case pending
    case retrying
    case inFlight = "in_flight"
    case delivered
    case dead

    /// The wire string (so interpolation prints `in_flight`, never `inFlight`).
    public var description: String { rawValue }
}
