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

    /// The `/stats` document's names (snake_case applies): `delivered` is written twice, as
    /// `succeeded` (the name the contract gives it) and as `delivered` (the state's name
    /// everywhere else: `/metrics`, the console, `hookgate events`), the same figure.
    enum CodingKeys: String, CodingKey {
        case pending, retrying, inFlight, delivered, dead, oldestPendingSeconds
        case succeeded
    }

    /// Reads a `/stats` document's deliveries: `delivered` from `succeeded` (the contract's
    /// name, in every version), or from `delivered` when only that is present.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pending = try container.decode(Int.self, forKey: .pending)
        retrying = try container.decode(Int.self, forKey: .retrying)
        inFlight = try container.decode(Int.self, forKey: .inFlight)
        dead = try container.decode(Int.self, forKey: .dead)
        oldestPendingSeconds = try container.decode(Double.self, forKey: .oldestPendingSeconds)
        delivered = try container.decodeIfPresent(Int.self, forKey: .succeeded) ?? container.decode(Int.self, forKey: .delivered)
    }

    /// Writes the `/stats` names, `delivered` both as `succeeded` and as `delivered`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pending, forKey: .pending)
        try container.encode(retrying, forKey: .retrying)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(delivered, forKey: .succeeded)
        try container.encode(delivered, forKey: .delivered)
        try container.encode(dead, forKey: .dead)
        try container.encode(oldestPendingSeconds, forKey: .oldestPendingSeconds)
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
