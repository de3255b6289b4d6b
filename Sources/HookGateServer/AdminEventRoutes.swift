import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE
import NIOCore

/// The admin listener's event endpoints: list, show, redeliver (also used by `hookgate events`).
///
/// - `GET /events?status=&provider=&handler=&limit=`: events with their deliveries' states.
/// - `GET /events/{id}`: one event (row id or event id) with its body and every attempt.
/// - `POST /events/{id}/redeliver[?handler=]`: make its deliveries due now.
/// - `POST /deliveries/redeliver-dead[?handler=]`: make every dead delivery due now.
public struct AdminEventRoutes: Sendable {
    let store: any GateStore
    let waker: any DeliveryWaker

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? SnakeCaseJSON.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\(JSONValue.quote(message))}")))
    }

    func add(to router: Router<GateRequestContext>) {
        let store = self.store
        let waker = self.waker
        router.get("/events") { request, _ -> Response in
            let query = request.uri.queryParameters
            var status: DeliveryStatus?
            if let name = query["status"] {
                guard let value = DeliveryStatus(rawValue: String(name)) else {
                    let names = DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    return AdminEventRoutes.problem(.badRequest, "status must be one of \(names)")
                }
                status = value
            }
            var provider: Provider?
            if let name = query["provider"] {
                guard let value = Provider(rawValue: String(name)) else { return AdminEventRoutes.problem(.badRequest, "unknown provider \(name)") }
                provider = value
            }
            let limit = query["limit"].flatMap { Int(String($0)) }.map { min(max($0, 1), 1000) } ?? 50
            let events = try await store.eventSummaries(status: status, provider: provider, handler: query["handler"].map(String.init), limit: limit)
            return AdminEventRoutes.json(["events": events])
        }
        router.get("/events/{id}") { request, context -> Response in
            let reference = context.parameters.get("id") ?? ""
            let provider = request.uri.queryParameters["provider"].flatMap { Provider(rawValue: String($0)) }
            let found = try await store.resolveEvents(reference, provider: provider)
            guard found.count == 1 else {
                return found.isEmpty
                    ? AdminEventRoutes.problem(.notFound, "no event \(reference)")
                    : AdminEventRoutes.problem(.conflict, "event id \(reference) exists for several providers; add ?provider=")
            }
            return AdminEventRoutes.json(try await store.document(of: found[0]))
        }
        router.post("/events/{id}/redeliver") { request, context -> Response in
            let reference = context.parameters.get("id") ?? ""
            let provider = request.uri.queryParameters["provider"].flatMap { Provider(rawValue: String($0)) }
            let found = try await store.resolveEvents(reference, provider: provider)
            guard found.count == 1 else {
                return found.isEmpty ? AdminEventRoutes.problem(.notFound, "no event \(reference)") : AdminEventRoutes.problem(.conflict, "ambiguous event id; add ?provider=")
            }
            let count = try await store.redeliver(eventRow: found[0].id, handler: request.uri.queryParameters["handler"].map(String.init))
            waker.notify()
            return AdminEventRoutes.json(["redelivering": count])
        }
        router.post("/deliveries/redeliver-dead") { request, _ -> Response in
            let count = try await store.redeliverDead(handler: request.uri.queryParameters["handler"].map(String.init))
            waker.notify()
            return AdminEventRoutes.json(["redelivering": count])
        }
    }
}
