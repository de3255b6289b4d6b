import HTTPTypes
import Hummingbird
import JOSE

/// Requires `Authorization: Bearer <admin.token>` on every admin route it is added in
/// front of, except the open ones (``isOpen(_:)``): health and readiness probes, and the
/// console's static page and assets, which hold no data (the page signs in with the token
/// and sends it on every API call).
///
/// The comparison runs in constant time over SHA-256 digests, so neither the token's
/// contents nor its length leak through timing. A missing or wrong token is answered
/// `401 {"error":"unauthorized"}` with `WWW-Authenticate: Bearer`; the token itself never
/// reaches a log line.
package struct AdminAuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    private let digest: [UInt8]

    /// - Parameter token: the configured `admin.token`.
    package init(token: String) {
        digest = SHA256.hash(Array(token.utf8))
    }

    /// Whether a request may pass without a token: `/healthz`, `/readyz`, and `GET`/`HEAD`
    /// of the console's page and assets.
    package static func isOpen(_ request: Request) -> Bool {
        let path = request.uri.path
        if path == "/healthz" || path == "/readyz" { return true }
        guard request.method == .get || request.method == .head else { return false }
        return path == "/console" || path.hasPrefix("/console/")
    }

    /// Whether `header` (the `Authorization` value) carries this token.
    func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else { return false }
        let presented = header.dropFirst(scheme.count).drop { $0 == " " }
        return ConstantTime.equals(SHA256.hash(Array(presented.utf8)), digest)
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard AdminAuthenticationMiddleware.isOpen(request) || accepts(request.headers[.authorization]) else {
            throw AdminError.unauthorized
        }
        return try await next(request, context)
    }
}
