/// Deliveries by state, for `/stats` and `/metrics`.
public struct DeliveryCounts: Sendable, Codable, Equatable {
    /// Never attempted, waiting.
    public var pending = 0
    /// Attempted, due again later.
    public var retrying = 0
    /// Claimed by a dispatcher.
    public var inFlight = 0
    /// Taken by their handler.
    public var delivered = 0
    /// Given up on.
    public var dead = 0
    /// Age in seconds of the oldest delivery not yet delivered or dead (0 when none).
    public var oldestPendingSeconds: Double = 0

    /// No deliveries.
    public init() {}

    /// The `/stats` document's names: `delivered` is `succeeded` there (snake_case applies to the rest).
    enum CodingKeys: String, CodingKey {
        case pending, retrying, inFlight, dead, oldestPendingSeconds
        case delivered = "succeeded"
    }

    /// The count of deliveries in `status`.
    public subscript(status: DeliveryStatus) -> Int {
        get {
            switch status {
            case .pending: pending
            case .retrying: retrying
            case .inFlight: inFlight
            case .delivered: delivered
            case .dead: dead
            }
        }
        set {
            switch status {
            case .pending: pending = newValue
            case .retrying: retrying = newValue
            case .inFlight: inFlight = newValue
            case .delivered: delivered = newValue
            case .dead: dead = newValue
            }
        }
    }
}
