/// One line of `GET /rejected`: a rejected request without its headers and body.
public struct RejectedSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var provider: String
    public var reason: String
    /// Unix ms.
    public var receivedAt: Int64
    public var clientIp: String?
    public var path: String
    public var recovery: RejectedRequest.Recovery?

    /// The summary of `request`.
    public init(_ request: RejectedRequest) {
        id = request.id
        provider = request.provider.rawValue
        reason = request.reason.rawValue
        receivedAt = request.receivedAt
        clientIp = request.clientIP
        path = request.path
        recovery = request.recovery
    }
}
