import HookGateCore
import PostgresNIO

/// The queries: event summaries, deliveries, attempts and the counts `/stats` reports,
/// answered like the SQLite backend's (the contract suite runs on both).
extension PostgresEventStore {
    /// Events, newest first; with `status` and/or `handler`, only events having a delivery
    /// in that state (to that handler). Each with its deliveries, fetched in one more query.
    package func eventSummaries(_ filter: EventFilter) async throws -> [EventSummary] {
        var conditions = PostgresConditions()
        conditions.add("e.provider = ?", filter.provider?.rawValue, as: "text")
        if let eventType = filter.eventType {
            if eventType.contains("*") {
                // LIKE is case-sensitive like event types; its own wildcards are escaped so only `*` is one.
                conditions.add("e.event_type LIKE ? ESCAPE '\\'", PostgresEventStore.likePattern(eventType), as: "text")
            } else {
                conditions.add("e.event_type = ?", eventType, as: "text")
            }
        }
        conditions.add("e.received_at >= ?", filter.since, as: "bigint")
        conditions.add("e.received_at < ?", filter.until, as: "bigint")
        conditions.add("e.id < ?", filter.before, as: "bigint")
        if filter.status != nil || filter.handler != nil {
            conditions.add(
                "EXISTS (SELECT 1 FROM deliveries d WHERE d.event_row = e.id AND (? IS NULL OR d.status = ?) AND (? IS NULL OR d.handler = ?))",
                values: [filter.status?.rawValue, filter.status?.rawValue, filter.handler, filter.handler], types: ["text", "text", "text", "text"])
        }
        var statement = conditions.statement(prefix: "SELECT e.id, e.provider, e.event_id, e.event_type, e.received_at FROM events e")
        let limit = statement.bind(Int64(filter.limit), as: "bigint")
        statement.append(" ORDER BY e.id DESC LIMIT \(limit)")
        var summaries: [EventSummary] = []
        for try await (id, provider, eventID, eventType, receivedAt) in try await relaxed.query(statement.query).decode(
            (Int64, String, String, String, Int64).self)
        {
            summaries.append(EventSummary(id: id, provider: provider, eventID: eventID, eventType: eventType, receivedAt: receivedAt, deliveries: []))
        }
        guard !summaries.isEmpty else { return [] }
        let rows = try await relaxed.query(
            "SELECT event_row, id, handler, status, attempts FROM deliveries WHERE event_row = ANY(\(summaries.map(\.id))::bigint[]) ORDER BY id")
        var byEvent: [Int64: [EventSummary.Delivery]] = [:]
        for try await (eventRow, id, handler, status, attempts) in rows.decode((Int64, Int64, String, String, Int32).self) {
            byEvent[eventRow, default: []].append(
                EventSummary.Delivery(id: id, handler: handler, status: DeliveryStatus(rawValue: status) ?? .pending, attempts: Int(attempts)))
        }
        for index in summaries.indices { summaries[index].deliveries = byEvent[summaries[index].id] ?? [] }
        return summaries
    }

    /// A LIKE pattern in which only `*` is a wildcard (`%`, `_` and `\` match themselves).
    static func likePattern(_ pattern: String) -> String {
        var like = ""
        for character in pattern {
            switch character {
            case "\\", "%", "_": like += "\\\(character)"
            case "*": like += "%"
            default: like.append(character)
            }
        }
        return like
    }

    /// Deliveries, newest first, filtered by status, provider, handler and event.
    package func deliveries(_ filter: DeliveryFilter) async throws -> [DeliveryRecord] {
        var conditions = PostgresConditions()
        conditions.add("d.status = ?", filter.status?.rawValue, as: "text")
        conditions.add("e.provider = ?", filter.provider?.rawValue, as: "text")
        conditions.add("d.handler = ?", filter.handler, as: "text")
        conditions.add("d.event_row = ?", filter.eventRow, as: "bigint")
        var statement = conditions.statement(
            prefix: """
                SELECT d.id, d.event_row, e.provider, e.event_id, e.event_type, d.handler, d.status, d.attempts, d.next_attempt_at, d.order_key, d.last_error
                FROM deliveries d JOIN events e ON e.id = d.event_row
                """)
        let limit = statement.bind(Int64(filter.limit), as: "bigint")
        statement.append(" ORDER BY d.id DESC LIMIT \(limit)")
        var records: [DeliveryRecord] = []
        for try await row in try await relaxed.query(statement.query) {
            let cells = row.makeRandomAccess()
            records.append(
                DeliveryRecord(
                    id: try cells["id"].decode(Int64.self), eventRow: try cells["event_row"].decode(Int64.self),
                    provider: try cells["provider"].decode(String.self),
                    eventID: try cells["event_id"].decode(String.self), eventType: try cells["event_type"].decode(String.self),
                    handler: try cells["handler"].decode(String.self),
                    status: DeliveryStatus(rawValue: try cells["status"].decode(String.self)) ?? .pending,
                    attempts: Int(try cells["attempts"].decode(Int32.self)), nextAttemptAt: try cells["next_attempt_at"].decode(Int64.self),
                    orderKey: try cells["order_key"].decode(String?.self), lastError: try cells["last_error"].decode(String?.self)))
        }
        return records
    }

    /// Every attempt of a delivery, in order.
    package func attempts(deliveryID: Int64) async throws -> [AttemptRecord] {
        let rows = try await relaxed.query(
            "SELECT number, started_at, duration_ms, succeeded, status_code, excerpt FROM attempts WHERE delivery_id = \(deliveryID) ORDER BY number, id"
        )
        var attempts: [AttemptRecord] = []
        for try await (number, startedAt, duration, succeeded, statusCode, excerpt) in rows.decode((Int32, Int64, Double, Bool, Int32?, String?).self)
        {
            attempts.append(
                AttemptRecord(
                    deliveryID: deliveryID, number: Int(number), startedAt: startedAt, durationMilliseconds: duration, succeeded: succeeded,
                    statusCode: statusCode.map(Int.init), excerpt: excerpt))
        }
        return attempts
    }

    /// Deliveries by state and the age of the oldest one not yet delivered or dead.
    package func deliveryCounts(now: Int64) async throws -> DeliveryCounts {
        var counts = DeliveryCounts()
        for try await (status, count) in try await relaxed.query("SELECT status, count(*) FROM deliveries GROUP BY status").decode(
            (String, Int64).self)
        {
            if let status = DeliveryStatus(rawValue: status) { counts[status] = Int(count) }
        }
        let oldest = try await relaxed.query("SELECT min(created_at) FROM deliveries WHERE status IN ('pending', 'retrying', 'in_flight')")
        for try await created in oldest.decode(Int64?.self) {
            if let created { counts.oldestPendingSeconds = max(0, Double(now - created) / 1000) }
        }
        return counts
    }
}
