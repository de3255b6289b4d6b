import Foundation
import HookGateCore
import Hummingbird
import NIOCore

/// The admin listener's quarantine endpoints (`../shared/contract/README.md`, "Rejected
/// requests (quarantine)"); also used by `hookgate rejected` and the console.
///
/// - `GET /rejected?provider=&reason=&since=&before=&limit=`: refused requests, newest first,
///   without headers or body; `before` is the `next_before` cursor of the previous page.
/// - `GET /rejected/{id}`: one, whole, its credential headers masked.
/// - `POST /rejected/{id}/recover`, body `{"ignore_age": true}` optional: verify again; `200`
///   with the intake's answer, or `409 {"error":"<code>"}` when it is still refused.
/// - `POST /rejected/recover`, body `{"provider", "reason", "since", "ignore_age", "limit"}`
///   (each optional): every matching request not yet recovered, oldest first; answers a
///   ``RecoveryTally``.
///
/// Bodies may name `"via": "cli"` or `"console"`: the route the recovery is recorded as.
struct AdminRejectedRoutes: Sendable {
    let store: any GateStore
    let recovery: QuarantineRecovery

    func add(to router: Router<GateRequestContext>) {
        let store = self.store
        let recovery = self.recovery
        router.get("/rejected") { request, _ -> RejectedPage in
            let query = AdminQuery(request)
            let limit = try query.limit(fallback: 50)
            var found = try await store.rejected(
                RejectedFilter(
                    provider: try query.provider(), reason: try AdminRejectedRoutes.reason(query.text("reason")), since: try query.timeRange().since,
                    before: try query.integer("before", in: 1...Int64.max, meaning: "a rejected request's id (a positive whole number)"),
                    limit: limit + 1))
            let more = found.count > limit
            found = Array(found.prefix(limit))
            return RejectedPage(rejected: found.map(RejectedSummary.init), nextBefore: more ? found.last?.id : nil)
        }
        router.get("/rejected/{id}") { _, context -> RejectedDocument in
            let request = try await AdminRejectedRoutes.find(context.parameters.get("id"), store)
            return RejectedDocument(request)
        }
        router.post("/rejected/recover") { request, _ -> RecoveryTally in
            let body = try await AdminRejectedRoutes.body(request)
            let provider = try body.provider.map { name throws(AdminError) -> Provider in
                guard let provider = Provider(rawValue: name) else { throw AdminError(.badRequest, "\(name) is not a provider name") }
                return provider
            }
            guard (body.limit ?? 1000) >= 1, (body.limit ?? 1000) <= 10_000 else { throw AdminError(.badRequest, "limit must be from 1 to 10000") }
            let filter = RejectedFilter(
                provider: provider, reason: try AdminRejectedRoutes.reason(body.reason), since: body.since, limit: body.limit ?? 1000)
            return try await recovery.recover(filter, ignoreAge: body.ignoreAge ?? false, via: try AdminRejectedRoutes.via(body.via))
        }
        router.post("/rejected/{id}/recover") { request, context -> RecoveryAnswer in
            let body = try await AdminRejectedRoutes.body(request)
            let rejected = try await AdminRejectedRoutes.find(context.parameters.get("id"), store)
            switch try await recovery.recover(rejected, ignoreAge: body.ignoreAge ?? false, via: try AdminRejectedRoutes.via(body.via)) {
            case .stored(let outcome, let eventID): return RecoveryAnswer(status: outcome.rawValue, eventID: eventID)
            case .refused(let code): throw AdminError.refused(code)
            }
        }
    }

    static func find(_ reference: String?, _ store: any GateStore) async throws -> RejectedRequest {
        guard let reference, let id = Int64(reference), id > 0 else {
            throw AdminError(.badRequest, "a rejected request's id is a positive whole number")
        }
        guard let request = try await store.quarantineRequest(id: id) else { throw AdminError(.notFound, "no rejected request \(id)") }
        return request
    }

    static func reason(_ text: String?) throws(AdminError) -> HookGateError.Code? {
        guard let text else { return nil }
        guard let code = HookGateError.Code(rawValue: text), code.isQuarantined else {
            let codes = HookGateError.Code.allCases.filter(\.isQuarantined).map(\.rawValue)
            throw AdminError(.badRequest, "reason must be one of \(codes.joined(separator: ", "))")
        }
        return code
    }

    static func via(_ text: String?) throws(AdminError) -> String {
        guard let text else { return "admin_api" }
        guard QuarantineRecovery.routes.contains(text) else {
            throw AdminError(.badRequest, "via must be one of \(QuarantineRecovery.routes.joined(separator: ", "))")
        }
        return text
    }

    /// The JSON body of a recover route; an empty body takes every default.
    static func body(_ request: Request) async throws -> RecoveryRequest {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 65_536)
        } catch {
            throw AdminError(.bodyTooLarge, "the body must be at most 65536 bytes")
        }
        guard buffer.readableBytes > 0 else { return RecoveryRequest() }
        do {
            return try SnakeCaseJSON.decoder().decode(RecoveryRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            throw AdminError(.badRequest, "the body must be a JSON object like {\"ignore_age\": true}")
        }
    }
}
