import Hummingbird
import HookGateCore
import Logging

/// The admin listener's last word on errors: every failure leaves as an ``AdminError``, so
/// every non-2xx answer has the one shape `{"error":"<code>","message":"..."}`.
///
/// A ``HookGateError`` keeps its code (`store_unavailable` stays 503 with `Retry-After`); the
/// framework's own errors (no such route, wrong method, a body it cannot decode) get the
/// code of their status; a ``StoreFailure`` that means the database cannot be used now is
/// `503 {"error":"store_unavailable"}` with `Retry-After`; anything else (a store error that
/// is the gate's own fault included) is logged with its cause and answered
/// `500 {"error":"internal"}`, the cause staying in the log.
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
        } catch let error as AdminError {
            throw error
        } catch let error as HookGateError {
            if error.code.isTransient || error.code == .internal {
                logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            throw AdminError(error)
        } catch let error as any HTTPResponseError {
            throw AdminErrorMiddleware.translate(error)
        } catch let error as any StoreFailure where error.isUnavailability {
            logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw AdminError(.storeUnavailable, "the store could not be read or written; the cause is in the gate's log")
        } catch {
            logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw AdminError(.internal, "unexpected error; the cause is in the gate's log")
        }
    }

    /// A framework error as an ``AdminError``: the code of its status, its message when it has one.
    static func translate(_ error: any HTTPResponseError) -> AdminError {
        let code: HookGateError.Code
        switch error.status {
        case .badRequest: code = .badRequest
        case .unauthorized: code = .unauthorized
        case .notFound: code = .notFound
        case .methodNotAllowed: code = .methodNotAllowed
        case .contentTooLarge: code = .bodyTooLarge
        case .requestTimeout: code = .requestTimeout
        default: code = .internal
        }
        let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
        return AdminError(code, message.isEmpty ? error.status.reasonPhrase : message)
    }
}
