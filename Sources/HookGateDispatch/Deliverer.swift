import HookGateCore

/// Something that can make one delivery attempt to a handler.
///
/// Implementations: ``HTTPDeliverer``, ``ExecDeliverer``, ``FileDeliverer``. An
/// attempt never throws: every failure is an outcome, recorded and retried.
package protocol Deliverer: Sendable {
    /// Makes one attempt.
    func deliver(_ job: DeliveryJob) async -> DeliveryOutcome
}

/// How one attempt went.
package struct DeliveryOutcome: Sendable {
    package var succeeded: Bool
    /// HTTP status or exit status, when there was one.
    package var statusCode: Int?
    /// A bounded excerpt of the answer, output or error (at most ``maxExcerpt`` bytes).
    package var excerpt: String
    /// Seconds the handler asked us to wait (`Retry-After`).
    package var retryAfter: Double?

    /// The longest excerpt kept per attempt.
    package static let maxExcerpt = 512

    package init(succeeded: Bool, statusCode: Int? = nil, excerpt: String, retryAfter: Double? = nil) {
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
