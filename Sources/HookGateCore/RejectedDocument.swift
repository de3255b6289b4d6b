/// One rejected request, whole: what `GET /rejected/{id}` returns and `hookgate rejected
/// show --json` prints (snake_case through ``SnakeCaseJSON``): the fields of its
/// ``RejectedSummary`` (read through it: `document.reason`), then the request's id, its
/// headers (masked: ``RejectedRequest/maskedHeaders``) and its body, in one flat object.
@dynamicMemberLookup
public struct RejectedDocument: Codable, Sendable, Equatable {
    /// What `GET /rejected` shows of it: id, provider, reason, time, client, path, recovery.
    public var summary: RejectedSummary
    public var requestId: String
    /// `[name, value]` pairs in order, credentials masked, cookies dropped.
    public var headers: [[String]]
    /// Lowercase hex SHA-256 of the body.
    public var bodySha256: String
    /// The body as text when it is UTF-8, else `nil` and ``bodyBase64`` holds it.
    public var body: String?
    public var bodyBase64: String?

    /// The document of `request`.
    public init(_ request: RejectedRequest) {
        let body = EncodedBody(request.body)
        summary = RejectedSummary(request)
        requestId = request.requestID
        headers = request.maskedHeaders.map { [$0.0, $0.1] }
        bodySha256 = request.bodySHA256
        self.body = body.text
        bodyBase64 = body.base64
    }

    /// The summary's fields, as if they were the document's own.
    public subscript<Value>(dynamicMember field: KeyPath<RejectedSummary, Value>) -> Value { summary[keyPath: field] }

    private enum CodingKeys: String, CodingKey {
        case requestId, headers, bodySha256, body, bodyBase64
    }

    public init(from decoder: any Decoder) throws {
        summary = try RejectedSummary(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requestId = try container.decode(String.self, forKey: .requestId)
        headers = try container.decode([[String]].self, forKey: .headers)
        bodySha256 = try container.decode(String.self, forKey: .bodySha256)
        body = try container.decodeIfPresent(String.self, forKey: .body)
        bodyBase64 = try container.decodeIfPresent(String.self, forKey: .bodyBase64)
    }

    public func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestId, forKey: .requestId)
        try container.encode(headers, forKey: .headers)
        try container.encode(bodySha256, forKey: .bodySha256)
        try container.encodeIfPresent(body, forKey: .body)
        try container.encodeIfPresent(bodyBase64, forKey: .bodyBase64)
    }
}
