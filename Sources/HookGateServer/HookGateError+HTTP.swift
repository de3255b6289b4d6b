import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE

/// The one place where error codes become HTTP answers (../shared/contract/README.md).
extension HookGateError.Code {
    /// The HTTP status for this code.
    package var httpStatus: HTTPResponse.Status {
        if isVerificationFailure { return .unauthorized }
        switch self {
        case .malformedBody, .missingEventID, .badRequest: return .badRequest
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .bodyTooLarge: return .contentTooLarge
        case .forbiddenSource: return .forbidden
        case .requestTimeout: return .requestTimeout
        case .keyUnavailable, .storeUnavailable, .overloaded: return .serviceUnavailable
        case .unauthorized: return .unauthorized
        case .conflict, .providerNotConfigured: return .conflict
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

    /// The admin listener's answer (``AdminError``): `status`, `{"error":"<code>","message":"<reason>"}`
    /// (the code only unless `explained`: the contract's `401 {"error":"unauthorized"}`, which
    /// also gets `WWW-Authenticate: Bearer`, and a refused recovery's 409), `Retry-After` for
    /// transient codes.
    func adminResponse(status: HTTPResponse.Status, explained: Bool) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        if code.isTransient { fields[.retryAfter] = String(retryAfter ?? 5) }
        var members = ["error": code.rawValue]
        if status == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        if explained { members["message"] = reason }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(members)).map { ByteBuffer(bytes: $0) } ?? answerBody
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    /// Whether the connection is closed once this is answered: the rest of an oversized or
    /// stalled body is not read (or waited for).
    var closesConnection: Bool { code == .bodyTooLarge || code == .requestTimeout }
}
