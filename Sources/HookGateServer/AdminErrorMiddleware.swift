import Hummingbird
import Logging

/// The admin listener's last word on errors: an ``HTTPResponseError`` (``AdminError``,
/// ``HookGateError``) passes through to be answered as itself; anything else (a store
/// that cannot be read) is logged with its cause and answered
/// `503 {"error":"store unavailable"}` with `Retry-After`, in the one JSON error shape,
/// instead of the framework's empty 500.
package struct AdminErrorMiddleware: RouterMiddleware {
    package typealias Context = GateRequestContext

    let logger: Logger

    /// A middleware logging unexpected errors to `logger`.
    package init(logger: Logger) {
        self.logger = logger
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            var response = try AdminError(.serviceUnavailable, "store unavailable").response(from: request, context: context)
            response.headers[.retryAfter] = "5"
            return response
        }
    }
}
