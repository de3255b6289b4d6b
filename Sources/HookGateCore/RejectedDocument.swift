/// One rejected request, whole: what `GET /rejected/{id}` returns and `hookgate rejected
/// show --json` prints (snake_case through ``SnakeCaseJSON``). Its headers are masked
/// (``RejectedRequest/maskedHeaders``).
public struct RejectedDocument: Codable, Sendable, Equatable {
    public var id: Int64
    public var provider: String
    /// The refusal's code.
    public var reason: String
    /// Unix ms.
    public var receivedAt: Int64
    public var clientIp: String?
    /// The request target as received.
    public var path: String
    public var requestId: String
    /// `[name, value]` pairs in order, credentials masked, cookies dropped.
    public var headers: [[String]]
    /// Lowercase hex SHA-256 of the body.
    public var bodySha256: String
    /// The body as text when it is UTF-8, else `nil` and ``bodyBase64`` holds it.
    public var body: String?
    public var bodyBase64: String?
    /// Set once it was recovered.
    public var recovery: RejectedRequest.Recovery?

    /// The document of `request`.
    public init(_ request: RejectedRequest) {
        let body = EncodedBody(request.body)
        id = request.id
        provider = request.provider.rawValue
        reason = request.reason.rawValue
        receivedAt = request.receivedAt
        clientIp = request.clientIP
        path = request.path
        requestId = request.requestID
        headers = request.maskedHeaders.map { [$0.0, $0.1] }
        bodySha256 = request.bodySHA256
        self.body = body.text
        bodyBase64 = body.base64
        recovery = request.recovery
    }
}

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

/// What a bulk recovery (`POST /rejected/recover`) did.
public struct RecoveryTally: Codable, Sendable, Equatable {
    /// Rejected requests verified again.
    public var examined = 0
    /// Stored now and fanned out.
    public var accepted = 0
    /// Already stored (the sender's retry got through, or an earlier recovery).
    public var duplicate = 0
    /// Still refused, by code; they stay in the quarantine.
    public var refused: [String: Int] = [:]

    public init() {}
}
