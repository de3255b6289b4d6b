import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE

/// The one place where error codes become HTTP answers (../shared/contract/README.md).
extension HookGateError.Code {
    /// The HTTP status for this code.
    public var httpStatus: HTTPResponse.Status {
        if isVerificationFailure { return .unauthorized }
        switch self {
        case .malformedBody, .missingEventID: return .badRequest
        case .bodyTooLarge: return .contentTooLarge
        case .forbiddenSource: return .forbidden
        case .requestTimeout: return .requestTimeout
        case .keyUnavailable, .storeUnavailable, .overloaded: return .serviceUnavailable
        default: return .internalServerError
        }
    }
}

extension HookGateError: HTTPResponseError {
    /// The HTTP status of this error's code.
    public var status: HTTPResponse.Status { code.httpStatus }

    /// The answer: status, `{"error":"<code>"}` (the code only, never the reason),
    /// `Retry-After` for transient codes, `Connection: close` when the rest of the request
    /// will not be read. ``RequestIDMiddleware`` adds the request id.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if code.isTransient { headers[.retryAfter] = String(retryAfter ?? 5) }
        if code == .bodyTooLarge || code == .requestTimeout { headers[.connection] = "close" }
        // The code is a fixed ASCII word: no encoder needed for `{"error":"<code>"}`.
        return Response(status: code.httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"\(code.rawValue)\"}")))
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
