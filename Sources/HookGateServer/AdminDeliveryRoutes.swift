import HookGateCore
import Hummingbird

/// The admin listener's delivery endpoints, which the operator console's dead-letter view uses.
///
/// - `GET /deliveries?status=&provider=&handler=&limit=`: deliveries, newest first (`limit` 100 by default, at most 1000).
/// - `POST /deliveries/{id}/redeliver`: make one delivery due now (404 when unknown, 409 while it is in flight).
///
/// Bad parameters are ``AdminError``s: `400 {"error":"bad_request","message":"..."}`.
///
/// `POST /deliveries/redeliver-dead[?handler=]` stays in ``AdminEventRoutes``.
struct AdminDeliveryRoutes: Sendable {
    let store: any GateStore
    let waker: any DeliveryWaker

    func add(to router: Router<GateRequestContext>) {
        let store = self.store
        let waker = self.waker
        router.get("/deliveries") { request, _ -> DeliveryPage in
            let query = AdminQuery(request)
            let deliveries = try await store.deliveries(
                status: try query.status(), provider: try query.provider(), handler: try query.text("handler"),
                limit: try query.limit(fallback: 100))
            return DeliveryPage(deliveries: deliveries)
        }
        router.post("/deliveries/{id}/redeliver") { _, context -> Redelivering in
            let reference = context.parameters.get("id") ?? ""
            guard let id = Int64(reference), id > 0 else {
                throw AdminError(.badRequest, "a delivery id is a positive whole number")
            }
            switch try await store.redeliver(deliveryID: id) {
            case .notFound:
                throw AdminError(.notFound, "no delivery \(id)")
            case .inFlight:
                throw AdminError(.conflict, "delivery \(id) is being attempted; try again when the attempt ends")
            case .queued:
                waker.notify()
                return Redelivering(redelivering: 1)
            }
        }
    }
}
