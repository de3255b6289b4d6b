import Foundation
import GRDB
import HookGateCore

/// The queries: event summaries, deliveries, attempts and the counts `/stats` reports.
extension SQLiteEventStore {
    // MARK: Finding events by id, across providers or by a prefix

    package func events(eventID: String) async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE event_id = ? ORDER BY provider LIMIT 100", arguments: [eventID])
                .map(SQLiteEventStore.decode)
        }
    }

    package func events(eventIDPrefix prefix: String, provider: Provider?, limit: Int) async throws -> [StoredEvent] {
        // The range lets SQLite walk the (provider, event_id) index (text compares bytewise);
        // substr keeps the match exact whatever follows the prefix.
        try await pool.read { db in
            var conditions = SQLConditions()
            conditions.add("provider = ?", provider?.rawValue)
            conditions.add("event_id >= ? AND event_id < ?", values: [prefix, prefix + "\u{10FFFF}"])
            conditions.add("substr(event_id, 1, ?) = ?", values: [prefix.count, prefix])
            var arguments = conditions.arguments
            arguments += [limit]
            return try Row.fetchAll(db, sql: "SELECT * FROM events \(conditions.sql) ORDER BY id DESC LIMIT ?", arguments: arguments).map(
                SQLiteEventStore.decode)
        }
    }

    /// Events, newest first; with `status` and/or `handler`, only events having a
    /// delivery in that state (to that handler).
    package func eventSummaries(_ filter: EventFilter) async throws -> [EventSummary] {
        try await pool.read { db in
            var conditions = SQLConditions()
            conditions.add("e.provider = ?", filter.provider?.rawValue)
            if let eventType = filter.eventType {
                // GLOB is case-sensitive like event types; its other wildcards are bracketed so only `*` is one.
                let glob = eventType.contains("*")
                conditions.add(glob ? "e.event_type GLOB ?" : "e.event_type = ?", glob ? SQLiteEventStore.globPattern(eventType) : eventType)
            }
            conditions.add("e.received_at >= ?", filter.since)
            conditions.add("e.received_at < ?", filter.until)
            conditions.add("e.id < ?", filter.before)
            if filter.status != nil || filter.handler != nil {
                conditions.add(
                    "EXISTS (SELECT 1 FROM deliveries d WHERE d.event_row = e.id AND (? IS NULL OR d.status = ?) AND (? IS NULL OR d.handler = ?))",
                    values: [filter.status, filter.status, filter.handler, filter.handler])
            }
            var arguments = conditions.arguments
            arguments += [filter.limit]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT e.id, e.provider, e.event_id, e.event_type, e.received_at FROM events e \(conditions.sql) ORDER BY e.id DESC LIMIT ?",
                arguments: arguments)
            return try rows.map { row in
                let id: Int64 = try row.decode(forColumn: "id")
                let deliveries = try Row.fetchAll(
                    db, sql: "SELECT id, handler, status, attempts FROM deliveries WHERE event_row = ? ORDER BY id", arguments: [id]
                )
                .map {
                    EventSummary.Delivery(
                        id: try $0.decode(forColumn: "id"), handler: try $0.decode(forColumn: "handler"), status: try $0.decode(forColumn: "status"),
                        attempts: try $0.decode(forColumn: "attempts"))
                }
                return EventSummary(
                    id: id, provider: try row.decode(forColumn: "provider"), eventID: try row.decode(forColumn: "event_id"),
                    eventType: try row.decode(forColumn: "event_type"), receivedAt: try row.decode(forColumn: "received_at"), deliveries: deliveries)
            }
        }
    }

    /// A GLOB pattern in which only `*` is a wildcard (`?` and `[` match themselves).
    static func globPattern(_ pattern: String) -> String {
        var glob = ""
        for character in pattern {
            switch character {
            case "?": glob += "[?]"
            case "[": glob += "[[]"
            default: glob.append(character)
            }
        }
        return glob
    }

    /// Deliveries, newest first, filtered by status, provider, handler and event.
    package func deliveries(_ filter: DeliveryFilter) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            var conditions = SQLConditions()
            conditions.add("d.status = ?", filter.status)
            conditions.add("e.provider = ?", filter.provider?.rawValue)
            conditions.add("d.handler = ?", filter.handler)
            conditions.add("d.event_row = ?", filter.eventRow)
            var arguments = conditions.arguments
            arguments += [filter.limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT d.*, e.provider, e.event_id, e.event_type FROM deliveries d JOIN events e ON e.id = d.event_row
                    \(conditions.sql) ORDER BY d.id DESC LIMIT ?
                    """,
                arguments: arguments
            ).map { row in
                DeliveryRecord(
                    id: try row.decode(forColumn: "id"), eventRow: try row.decode(forColumn: "event_row"),
                    provider: try row.decode(forColumn: "provider"),
                    eventID: try row.decode(forColumn: "event_id"), eventType: try row.decode(forColumn: "event_type"),
                    handler: try row.decode(forColumn: "handler"),
                    status: try row.decode(DeliveryStatus.self, forColumn: "status"), attempts: try row.decode(forColumn: "attempts"),
                    nextAttemptAt: try row.decode(forColumn: "next_attempt_at"), orderKey: try row.decode(String?.self, forColumn: "order_key"),
                    lastError: try row.decode(String?.self, forColumn: "last_error"))
            }
        }
    }

    /// Every attempt of a delivery, in order.
    package func attempts(deliveryID: Int64) async throws -> [AttemptRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number, id", arguments: [deliveryID]).map { row in
                AttemptRecord(
                    deliveryID: deliveryID, number: try row.decode(forColumn: "number"), startedAt: try row.decode(forColumn: "started_at"),
                    durationMilliseconds: try row.decode(forColumn: "duration_ms"), succeeded: try row.decode(forColumn: "succeeded"),
                    statusCode: try row.decode(Int?.self, forColumn: "status_code"), excerpt: try row.decode(String?.self, forColumn: "excerpt"))
            }
        }
    }

    /// Deliveries by state and the age of the oldest waiting one.
    package func deliveryCounts(now: Int64) async throws -> DeliveryCounts {
        try await pool.read { db in
            var counts = DeliveryCounts()
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM deliveries GROUP BY status") {
                let n: Int = try row.decode(forColumn: "n")
                if let status = DeliveryStatus(rawValue: try row.decode(String.self, forColumn: "status")) { counts[status] = n }
            }
            let waiting = "SELECT min(created_at) FROM deliveries WHERE status IN (?, ?, ?)"
            let unfinished: StatementArguments = [DeliveryStatus.pending, DeliveryStatus.retrying, DeliveryStatus.inFlight]
            if let oldest = try Int64.fetchOne(db, sql: waiting, arguments: unfinished) {
                counts.oldestPendingSeconds = max(0, Double(now - oldest) / 1000)
            }
            return counts
        }
    }
}
