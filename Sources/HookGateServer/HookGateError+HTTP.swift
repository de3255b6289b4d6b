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
        case .malformedBody, .missingEventID, .badRequest: return .badRequest
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
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
    /// `Retry-After` for transient codes, `Allow: POST` for `method_not_allowed` (only the
    /// intake's routes raise it, and they take POST only), `Connection: close` when the rest
    /// of the request will not be read. The public listener adds the request id.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = HTTPFields()
        for (name, value) in answerHeaders { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return Response(status: status, headers: fields, body: .init(byteBuffer: answerBody))
    }

    /// The answer's header fields besides `Content-Length` (see ``response(from:context:)``).
    var answerHeaders: [(name: String, value: String)] {
        var headers = [(name: "Content-Type", value: "application/json")]
        if code.isTransient { headers.append(("Retry-After", String(retryAfter ?? 5))) }
        if code == .methodNotAllowed { headers.append(("Allow", "POST")) }
        if closesConnection { headers.append(("Connection", "close")) }
        return headers
    }

    /// The answer's body, `{"error":"<code>"}`: the code is a fixed ASCII word, no encoder needed.
    var answerBody: ByteBuffer { ByteBuffer(string: "{\"error\":\"\(code.rawValue)\"}") }

    /// Whether the connection is closed once this is answered: the rest of an oversized or
    /// stalled body is not read (or waited for).
    var closesConnection: Bool { code == .bodyTooLarge || code == .requestTimeout }
}
