/// An error on the path of a webhook: a stable ``code`` (the contract's wire code),
/// a human ``reason`` for logs, and where it was raised.
///
/// Equality compares the code only. The HTTP status and body for each code are
/// decided in one place, in HookGateServer: the intake answers the code only (never the
/// reason); the admin listener adds the reason as `message`, except on its 401.
public struct HookGateError: Error, Hashable, CustomStringConvertible, Sendable {
    /// The stable codes of ../shared/contract/README.md plus the few HookGate adds.
    public enum Code: String, Sendable, CaseIterable, Codable {
        // 401: verification failed (permanent; the sender should not retry).
        case missingSignature = "missing_signature"
        case malformedToken = "malformed_token"
        case unsupportedAlgorithm = "unsupported_algorithm"
        case missingKeyID = "missing_key_id"
        case unknownKey = "unknown_key"
        case expiredKey = "expired_key"
        case badSignature = "bad_signature"
        case staleToken = "stale_token"
        case futureToken = "future_token"
        case bodyMismatch = "body_mismatch"
        case badToken = "bad_token"
        // 400 / 403 / 413: the request itself is unacceptable.
        case malformedBody = "malformed_body"
        case missingEventID = "missing_event_id"
        case bodyTooLarge = "body_too_large"
        case forbiddenSource = "forbidden_source"
        case requestTimeout = "request_timeout"
        // 503: transient on our side; the sender retries and nothing is lost.
        case keyUnavailable = "key_unavailable"
        case storeUnavailable = "store_unavailable"
        case overloaded = "overloaded"
        // Answers outside the webhook routes: a request no route took (404, 405, an unparsable
        // request's 400: both listeners) and the admin listener's refusals.
        case badRequest = "bad_request"
        case unauthorized = "unauthorized"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case conflict = "conflict"
        /// A recovery refused because the gate no longer serves the request's provider.
        case providerNotConfigured = "provider_not_configured"
        /// Anything unexpected: answered 500, its cause only in the log.
        case `internal` = "internal"

        /// Whether this code means the signature or token check failed (a 401).
        public var isVerificationFailure: Bool {
            switch self {
            case .missingSignature, .malformedToken, .unsupportedAlgorithm, .missingKeyID, .unknownKey, .expiredKey,
                .badSignature, .staleToken, .futureToken, .bodyMismatch, .badToken:
                return true
            default:
                return false
            }
        }

        /// Whether this code is never a webhook route's outcome: a request no route took (an
        /// unknown path, a wrong method, a request that cannot be parsed before a webhook's
        /// body) or an admin refusal. Such answers are neither logged as webhooks, counted in
        /// `hookgate_webhooks_total`, nor quarantined.
        public var isOutsideWebhookRoutes: Bool {
            switch self {
            case .badRequest, .unauthorized, .notFound, .methodNotAllowed, .conflict, .providerNotConfigured, .internal: return true
            default: return false
            }
        }

        /// Whether the failure is transient on HookGate's side (answered 503 with `Retry-After`).
        public var isTransient: Bool {
            self == .keyUnavailable || self == .storeUnavailable || self == .overloaded
        }
    }

    /// The stable code.
    public let code: Code
    /// Why, for logs and `hookgate verify`; may name a key id, never a secret.
    public let reason: String
    /// Seconds the sender should wait before retrying, for transient codes.
    public let retryAfter: Int?
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ reason: String, retryAfter: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.retryAfter = retryAfter
        self.file = file
        self.line = line
    }

    public static func == (lhs: HookGateError, rhs: HookGateError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code.rawValue): \(reason)" }
}
