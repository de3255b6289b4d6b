/// How one attempt went, and what to do next.
public struct AttemptResult: Sendable {
    /// Where the delivery goes after this attempt.
    public enum Next: Sendable, Equatable {
        /// The handler took it.
        case delivered
        /// Try again at this Unix ms.
        case retry(at: Int64)
        /// Given up on (the retry schedule is spent).
        case dead
    }

    /// The delivery attempted.
    public var deliveryID: Int64
    /// The claim the attempt ran under (``DeliveryJob/claim``).
    public var claim: Int64
    /// The attempt's number, from 1.
    public var attempt: Int
    /// Unix ms.
    public var startedAt: Int64
    /// How long the attempt took.
    public var durationMilliseconds: Double
    /// Whether the handler took the event.
    public var succeeded: Bool
    /// HTTP status or exit status.
    public var statusCode: Int?
    /// A bounded excerpt of the response, output or error.
    public var excerpt: String
    /// Where the delivery goes next.
    public var next: Next

    /// A result, as the dispatcher reports it.
    public init(
        deliveryID: Int64, claim: Int64, attempt: Int, startedAt: Int64, durationMilliseconds: Double, succeeded: Bool, statusCode: Int?,
        excerpt: String,
        next: Next
    ) {
        self.deliveryID = deliveryID
        self.claim = claim
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.succeeded = succeeded
        self.statusCode = statusCode
        self.excerpt = excerpt
        self.next = next
    }
}
