import Foundation
import GRDB
import HookGateStore
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
        router.get("/sqlite-error") { _, _ -> Response in throw DatabaseError(resultCode: .SQLITE_IOERR, message: "disk I/O error") }
        router.get("/store-error") { _, _ -> Response in throw SQLiteStoreError("not a HookGate database") }
        router.get("/constraint-error") { _, _ -> Response in
            throw DatabaseError(resultCode: .SQLITE_CONSTRAINT_UNIQUE, message: "UNIQUE constraint failed: events.id")
        }
        router.post("/conflict") { _, _ -> Response in throw AdminError.refused(.staleToken) }
        router.get("/unauthorized") { _, _ -> Response in throw AdminError.unauthorized }
        return Application(router: router)
    }

    /// Outside the admin listener (the intake), a ``HookGateError`` answers its code only, never its reason.
    @Test func hookGateErrorsAnswerTheirCodeOnlyWithRetryAfter() async throws {
        let router = Router(context: GateRequestContext.self)
        router.get("/gate-error") { _, _ -> Response in throw HookGateError(.storeUnavailable, "disk on fire", retryAfter: 7) }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/gate-error", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"error":"store_unavailable"}"#)
                #expect(response.headers[.retryAfter] == "7")
            }
        }
    }

    @Test func adminErrorsAnswerTheirCodeAndAMessage() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/admin-error", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body) == #"{"error":"bad_request","message":"limit must be a whole number"}"#)
            }
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.members(response)["error"] == "not_found")
            }
            try await client.execute(uri: "/conflict", method: .post) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body) == #"{"error":"stale_token"}"#)
            }
            try await client.execute(uri: "/unauthorized", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body) == #"{"error":"unauthorized"}"#)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    /// On the admin listener a store failure typed `store_unavailable`, or a driver error that
    /// means the database cannot be used, keeps its 503 and `Retry-After`; anything
    /// unexpected is a 500 `internal`, its cause only in the log.
    @Test func adminStoreFailuresStay503AndUnexpectedErrorsAre500() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/gate-error", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == #"{"error":"store_unavailable","message":"disk on fire"}"#)
                #expect(response.headers[.retryAfter] == "7")
            }
            try await client.execute(uri: "/unexpected", method: .get) { response in
                #expect(response.status == .internalServerError)
                let members = Self.members(response)
                #expect(members["error"] == "internal")
                #expect(members["message"]?.contains("Unexpected") == false)
            }
            // The database driver's unavailability errors (StoreFailure): 503, never 500, the cause only in the log.
            for path in ["/sqlite-error", "/store-error"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .serviceUnavailable, "\(path)")
                    let members = Self.members(response)
                    #expect(members["error"] == "store_unavailable", "\(path)")
                    #expect(members["message"]?.contains("disk I/O") == false && members["message"]?.contains("HookGate database") == false)
                    #expect(response.headers[.retryAfter] != nil, "\(path)")
                }
            }
            // A driver error that is the gate's own fault (a constraint) is not the database being down.
            try await client.execute(uri: "/constraint-error", method: .get) { response in
                #expect(response.status == .internalServerError)
                let members = Self.members(response)
                #expect(members["error"] == "internal")
                #expect(members["message"]?.contains("UNIQUE") == false)
                #expect(response.headers[.retryAfter] == nil)
            }
        }
    }

    /// The admin listener's real routes: every non-2xx answer is a code from the one table
    /// and a message, whether a route, a parameter check or the framework refused.
    @Test func everyAdminRefusalHasACodeAndAMessage() async throws {
        try await withGate(yaml: TestConfig.pinned()) { harness in
            let cases: [(String, String, Int, String)] = [
                ("/events?limit=many", "GET", 400, "bad_request"),
                ("/deliveries?status=sideways", "GET", 400, "bad_request"),
                ("/events/nothing-like-this", "GET", 404, "not_found"),
                ("/deliveries/999999/redeliver", "POST", 404, "not_found"),
                ("/rejected/abc", "GET", 400, "bad_request"),
                ("/no-such-route", "GET", 404, "not_found"),
                ("/console/no-such-file.js", "GET", 404, "not_found"),
            ]
            for (path, method, status, code) in cases {
                let answer = try await harness.admin(path, method: method)
                let members = (try? JSONDecoder().decode([String: String].self, from: Data(answer.body))) ?? [:]
                #expect(answer.status == status, "\(method) \(path): \(answer.text)")
                #expect(members["error"] == code, "\(method) \(path): \(answer.text)")
                #expect(members["message"]?.isEmpty == false, "\(method) \(path): \(answer.text)")
                #expect(answer.header("Content-Type") == "application/json", "\(method) \(path)")
            }
        }
    }

    static func members(_ response: TestResponse) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))) ?? [:]
    }
}
