import HookGateCore

/// A claimed delivery: everything a handler needs to make one attempt.
public struct DeliveryJob: Sendable {
    public var deliveryID: Int64
    public var handler: String
    /// This attempt's number, from 1.
    public var attempt: Int
    /// Unix ms when the delivery was created (the retry schedule's origin).
    public var createdAt: Int64
    public var eventRow: Int64
    public var provider: Provider
    public var eventID: String
    public var eventType: String
    public var body: [UInt8]
    public var contentType: String?
    /// Unix ms.
    public var receivedAt: Int64
}

/// How one attempt went, and what to do next.
public struct AttemptResult: Sendable {
    public enum Next: Sendable, Equatable {
        case delivered
        /// Try again at this Unix ms.
        case retry(at: Int64)
        case dead
    }

    public var deliveryID: Int64
    public var attempt: Int
    /// Unix ms.
    public var startedAt: Int64
    public var durationMilliseconds: Double
    public var succeeded: Bool
    /// HTTP status or exit status.
    public var statusCode: Int?
    /// A bounded excerpt of the response, output or error.
    public var excerpt: String
    public var next: Next

    public init(deliveryID: Int64, attempt: Int, startedAt: Int64, durationMilliseconds: Double, succeeded: Bool, statusCode: Int?, excerpt: String, next: Next) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.succeeded = succeeded
        self.statusCode = statusCode
        self.excerpt = excerpt
        self.next = next
    }
}

/// A delivery as listed by `hookgate events` and the admin endpoints.
public struct DeliveryRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var eventRow: Int64
    public var provider: String
    public var eventID: String
    public var eventType: String
    public var handler: String
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var orderKey: String?
    public var lastError: String?
}

/// One recorded attempt.
public struct AttemptRecord: Sendable, Codable, Equatable {
    public var deliveryID: Int64
    public var number: Int
    public var startedAt: Int64
    public var durationMilliseconds: Double
    public var succeeded: Bool
    public var statusCode: Int?
    public var excerpt: String?
}

/// Deliveries by state, for `/stats`.
public struct DeliveryCounts: Sendable, Codable, Equatable {
    public var pending = 0
    public var retrying = 0
    public var inFlight = 0
    public var delivered = 0
    public var dead = 0
    /// Age in seconds of the oldest delivery not yet delivered or dead (0 when none).
    public var oldestPendingSeconds: Double = 0
    public init() {}

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
