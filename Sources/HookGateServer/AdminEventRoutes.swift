import Foundation
import HTTPTypes
import HookGateCore
import Hummingbird
import JOSE
import NIOCore

/// The admin listener's event endpoints: list, show, redeliver (also used by `hookgate events`).
///
/// - `GET /events?status=&provider=&handler=&event_type=&since=&until=&before=&limit=`: events, newest first,
///   with their deliveries' states; `event_type` takes `*` wildcards, `since`/`until` are Unix ms, `before` is
///   the `next_before` cursor of the previous page.
/// - `GET /events/{id}`: one event (row id or event id) with its body and every attempt.
/// - `POST /events/{id}/redeliver[?handler=]`: make its deliveries due now.
/// - `POST /deliveries/redeliver-dead[?handler=]`: make every dead delivery due now.
package struct AdminEventRoutes: Sendable {
    let store: any GateStore
    let waker: any DeliveryWaker

    /// The one event `reference` names, or a 404 / 409 ``AdminError``.
    static func single(_ found: [StoredEvent], _ reference: String) throws(AdminError) -> StoredEvent {
        guard found.count == 1 else {
            throw found.isEmpty
                ? AdminError(.notFound, "no event \(reference)")
                : AdminError(.conflict, "event id \(reference) exists for several providers; add ?provider=")
        }
        return found[0]
    }

    func add(to router: Router<GateRequestContext>) {
        let store = self.store
        let waker = self.waker
        router.get("/events") { request, _ -> EventPage in
            let query = AdminQuery(request)
            let limit = try query.limit(fallback: 50)
            let (since, until) = try query.timeRange()
            var events = try await store.eventSummaries(
                status: try query.status(), provider: try query.provider(), handler: try query.text("handler"),
                eventType: try query.text("event_type"), since: since, until: until,
                before: try query.integer("before", in: 1...Int64.max, meaning: "a row id (a positive whole number)"), limit: limit + 1)
            let more = events.count > limit
            events = Array(events.prefix(limit))
            return EventPage(events: events, nextBefore: more ? events.last?.id : nil)
        }
        router.get("/events/{id}") { request, context -> EventDocument in
            let reference = context.parameters.get("id") ?? ""
            let provider = try AdminQuery(request).provider()
            let event = try AdminEventRoutes.single(try await store.resolveEvents(reference, provider: provider), reference)
            return try await store.document(of: event)
        }
        router.post("/events/{id}/redeliver") { request, context -> Redelivering in
            let reference = context.parameters.get("id") ?? ""
            let provider = try AdminQuery(request).provider()
            let event = try AdminEventRoutes.single(try await store.resolveEvents(reference, provider: provider), reference)
            let count = try await store.redeliver(eventRow: event.id, handler: try AdminQuery(request).text("handler"))
            waker.notify()
            return Redelivering(redelivering: count)
        }
        router.post("/deliveries/redeliver-dead") { request, _ -> Redelivering in
            let count = try await store.redeliverDead(handler: try AdminQuery(request).text("handler"))
            waker.notify()
            return Redelivering(redelivering: count)
        }
    }
}
