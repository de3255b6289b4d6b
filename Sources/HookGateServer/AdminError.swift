import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered by an admin route: a status and the admin listener's one JSON
/// shape, `{"error":"<message>"}` (for authentication failures exactly
/// `{"error":"unauthorized"}` with `WWW-Authenticate: Bearer`, as the contract says).
package struct AdminError: HTTPResponseError, Equatable {
    /// The HTTP status.
    package let status: HTTPResponse.Status
    /// What went wrong, for the operator: never holds a secret.
    package let message: String

    /// Creates an error answered with `status` and `message`.
    package init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// No token, or a wrong one.
    package static let unauthorized = AdminError(.unauthorized, "unauthorized")

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"error"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
