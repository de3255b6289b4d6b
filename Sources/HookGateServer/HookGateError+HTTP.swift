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

extension HookGateError {
    /// The answer: status, `{"error":"<code>"}` (the code only, never the reason), and
    /// `Retry-After` for transient codes.
    public func response(requestID: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .requestID: requestID]
        if code.isTransient { headers[.retryAfter] = String(retryAfter ?? 5) }
        if code == .bodyTooLarge || code == .requestTimeout { headers[.connection] = "close" }
        return Response(
            status: code.httpStatus, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\(JSONValue.quote(code.rawValue))}")))
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
