/// One page of `GET /rejected`: the rejected requests, newest first, and the cursor of the
/// next page (`before=`), `nil` on the last one. Read and written with ``SnakeCaseJSON``.
public struct RejectedPage: Codable, Sendable, Equatable {
    public var rejected: [RejectedSummary]
    public var nextBefore: Int64?

    public init(rejected: [RejectedSummary], nextBefore: Int64?) {
        self.rejected = rejected
        self.nextBefore = nextBefore
    }
}
