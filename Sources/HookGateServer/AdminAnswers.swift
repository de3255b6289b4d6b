import HookGateCore
import Hummingbird

/// `{"redelivering": n}`: how many deliveries a redelivery made due.
struct Redelivering: ResponseEncodable {
    var redelivering: Int
}

/// One page of `GET /events`: `next_before` (present when older events match) is the cursor of the next page.
struct EventPage: ResponseEncodable {
    var events: [EventSummary]
    var nextBefore: Int64?
}

/// `GET /deliveries`.
struct DeliveryPage: ResponseEncodable {
    var deliveries: [DeliveryRecord]
}

/// `/healthz` and `/readyz`: `{"status": ..., "reasons": [...]}` (reasons only when unready).
struct ProbeAnswer: ResponseEncodable {
    var status: String
    var reasons: [String]?
}

extension EventDocument: ResponseEncodable {}
extension RejectedDocument: ResponseEncodable {}
extension RecoveryTally: ResponseEncodable {}
extension RejectedPage: ResponseEncodable {}
extension RecoveryAnswer: ResponseEncodable {}

extension StatsDocument: ResponseEncodable {}
