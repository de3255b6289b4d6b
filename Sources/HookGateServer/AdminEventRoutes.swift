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

    /// The document `GET /events/{id}` returns and `hookgate events show --json` prints.
    public struct EventDetail: Encodable, Sendable {
        public struct DeliveryDetail: Encodable, Sendable {
            public var delivery: DeliveryRecord
            public var attempts: [AttemptRecord]
        }

        public var id: Int64
        public var provider: String
        public var eventId: String
        public var eventType: String
        public var receivedAt: Int64
        public var clientIp: String?
        public var requestId: String
        public var headers: [[String]]
        public var bodySha256: String
        public var body: String?
        public var bodyBase64: String?
        public var claims: String?
        public var deliveries: [DeliveryDetail]
    }

    public static func detail(_ event: StoredEvent, store: any EventQueries) async throws -> EventDetail {
        var deliveries: [EventDetail.DeliveryDetail] = []
        for delivery in try await store.deliveries(eventRow: event.id, limit: 1000).reversed() {
            deliveries.append(.init(delivery: delivery, attempts: try await store.attempts(deliveryID: delivery.id)))
        }
        let body = EncodedBody(event.body)
        return EventDetail(
            id: event.id, provider: event.provider.rawValue, eventId: event.eventID, eventType: event.eventType, receivedAt: event.receivedAt,
            clientIp: event.clientIP, requestId: event.requestID, headers: event.headers.map { [$0.0, $0.1] }, bodySha256: event.bodySHA256,
            body: body.text, bodyBase64: body.base64, claims: event.claims, deliveries: deliveries)
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
            return AdminEventRoutes.json(try await AdminEventRoutes.detail(found[0], store: store))
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
