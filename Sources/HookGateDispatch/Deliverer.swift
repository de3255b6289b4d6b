import HookGateCore

/// Something that can make one delivery attempt to a handler.
///
/// Implementations: ``HTTPDeliverer``, ``ExecDeliverer``, ``FileDeliverer``. An
/// attempt never throws: every failure is an outcome, recorded and retried.
public protocol Deliverer: Sendable {
    /// Makes one attempt.
    func deliver(_ job: DeliveryJob) async -> DeliveryOutcome
}

/// How one attempt went.
public struct DeliveryOutcome: Sendable {
    public var succeeded: Bool
    /// HTTP status or exit status, when there was one.
    public var statusCode: Int?
    /// A bounded excerpt of the answer, output or error (at most ``maxExcerpt`` bytes).
    public var excerpt: String
    /// Seconds the handler asked us to wait (`Retry-After`).
    public var retryAfter: Double?

    /// The longest excerpt kept per attempt.
    public static let maxExcerpt = 512

    public init(succeeded: Bool, statusCode: Int? = nil, excerpt: String, retryAfter: Double? = nil) {
        self.succeeded = succeeded
        self.statusCode = statusCode
        self.excerpt = DeliveryOutcome.clip(excerpt)
        self.retryAfter = retryAfter
    }

    static func clip(_ text: String) -> String {
        guard text.utf8.count > maxExcerpt else { return text }
        return String(decoding: text.utf8.prefix(maxExcerpt), as: UTF8.self) + "…"
    }
}
