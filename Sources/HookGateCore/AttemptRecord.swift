/// One recorded attempt of a delivery.
public struct AttemptRecord: Sendable, Codable, Equatable {
    /// The delivery attempted.
    public var deliveryID: Int64
    /// The attempt's number, from 1.
    public var number: Int
    /// Unix ms.
    public var startedAt: Int64
    /// How long it took.
    public var durationMilliseconds: Double
    /// Whether the handler took the event.
    public var succeeded: Bool
    /// HTTP status or exit status.
    public var statusCode: Int?
    /// A bounded excerpt of the response, output or error.
    public var excerpt: String?

    /// A record, as a backend reads it.
    public init(
        deliveryID: Int64, number: Int, startedAt: Int64, durationMilliseconds: Double, succeeded: Bool, statusCode: Int?, excerpt: String?
    ) {
        self.deliveryID = deliveryID
        self.number = number
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.succeeded = succeeded
        self.statusCode = statusCode
        self.excerpt = excerpt
    }
}
