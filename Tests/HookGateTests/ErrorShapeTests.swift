import Foundation
import HTTPTypes
import HookGateCore
import HookGateServer
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Errors reach HTTP through `HTTPResponseError`, in one JSON shape (the public listener's
/// answers, request ids included, are tested live in `IntakeListenerTests`).
@Suite struct ErrorShapeTests {
    struct Unexpected: Error {}

    static func app() -> some ApplicationProtocol {
        let router = Router(context: GateRequestContext.self)
        router.add(middleware: AdminErrorMiddleware(logger: Logger(label: "test")))
        router.get("/gate-error") { _, _ -> Response in throw HookGateError(.storeUnavailable, "disk on fire", retryAfter: 7) }
        router.get("/admin-error") { _, _ -> Response in throw AdminError(.badRequest, "limit must be a whole number") }
        router.get("/unexpected") { _, _ -> Response in throw Unexpected() }
        return Application(router: router)
    }

    @Test func hookGateErrorsAnswerTheirCodeOnlyWithRetryAfter() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/gate-error", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"error":"store_unavailable"}"#)
                #expect(response.headers[.retryAfter] == "7")
            }
        }
    }

    @Test func adminErrorsAndUnexpectedErrorsShareTheShape() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/admin-error", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body) == #"{"error":"limit must be a whole number"}"#)
            }
            try await client.execute(uri: "/unexpected", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"error":"store unavailable"}"#)
                #expect(response.headers[.retryAfter] == "5")
            }
        }
    }
}
