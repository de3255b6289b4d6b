import HTTPTypes
import HookGateCore
import Hummingbird

/// An answer of the admin listener that is not 2xx: a ``HookGateError`` (a stable code and
/// the human reason) answered through the one mapping of codes to HTTP
/// (`HookGateError+HTTP.swift`) as `{"error":"<code>","message":"<reason>"}`.
///
/// The admin listener's callers are authenticated, so the reason is theirs to read (it never
/// holds a secret). Two answers are fixed by the contract: `401 {"error":"unauthorized"}`
/// with `WWW-Authenticate: Bearer` and no message, and a recovery still refused,
/// `409 {"error":"<refusal code>"}` (``refused(_:)``), the one status not taken from the code.
package struct AdminError: HTTPResponseError, Equatable {
    /// The code and the human explanation.
    package let error: HookGateError
    /// The HTTP status: the code's, except for a refused recovery (409).
    package let status: HTTPResponse.Status
    /// Whether the body carries ``message`` (not on the contract's code-only answers).
    let explained: Bool

    /// The stable code (the body's `error`).
    package var code: HookGateError.Code { error.code }
    /// What went wrong, for the operator (the body's `message`): never holds a secret.
    package var message: String { error.reason }

    /// An error answered with `code`'s status and `message`.
    package init(_ code: HookGateError.Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.init(HookGateError(code, message, file: file, line: line))
    }

    /// `error` answered with its code's status, its reason as the message.
    package init(_ error: HookGateError) {
        self.init(error, status: error.code.httpStatus, explained: error.code != .unauthorized)
    }

    private init(_ error: HookGateError, status: HTTPResponse.Status, explained: Bool) {
        self.error = error
        self.status = status
        self.explained = explained
    }

    /// No token, or a wrong one: `401 {"error":"unauthorized"}`, no message (contract).
    package static let unauthorized = AdminError(.unauthorized, "unauthorized")

    /// A recovery still refused with `code` (`bad_signature`, `provider_not_configured`, ...):
    /// `409 {"error":"<code>"}`, no message (contract).
    package static func refused(_ code: HookGateError.Code) -> AdminError {
        AdminError(HookGateError(code, "still refused: \(code.rawValue)"), status: .conflict, explained: false)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        error.adminResponse(status: status, explained: explained)
    }

    package static func == (lhs: AdminError, rhs: AdminError) -> Bool {
        lhs.code == rhs.code && lhs.status == rhs.status && lhs.message == rhs.message
    }
}
