import Foundation
import GRDB
import HookGateCore

/// An event with the state of each of its deliveries, as `hookgate events list` shows it.
public struct EventSummary: Sendable, Codable, Equatable {
    public struct Delivery: Sendable, Codable, Equatable {
        public var id: Int64
        public var handler: String
        public var status: DeliveryStatus
        public var attempts: Int
    }

    public var id: Int64
    public var provider: String
    public var eventID: String
    public var eventType: String
    /// Unix ms.
    public var receivedAt: Int64
    public var deliveries: [Delivery]
}

extension SQLiteEventStore {
    /// Events, newest first; with `status` and/or `handler`, only events having a
    /// delivery in that state (to that handler).
    ///
    /// - Parameters:
    ///   - eventType: an exact event type, or a pattern where `*` matches any run of characters.
    ///   - since: only events received at or after this time (Unix ms).
    ///   - until: only events received before this time (Unix ms).
    ///   - before: the pagination cursor: only events whose row id is smaller.
    public func eventSummaries(
        status: DeliveryStatus? = nil, provider: Provider? = nil, handler: String? = nil, eventType: String? = nil, since: Int64? = nil,
        until: Int64? = nil, before: Int64? = nil, limit: Int = 50
    ) async throws -> [EventSummary] {
        try await pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let provider {
                clauses.append("e.provider = ?")
                arguments += [provider.rawValue]
            }
            if let eventType {
                // GLOB is case-sensitive like event types; its other wildcards are bracketed so only `*` is one.
                clauses.append(eventType.contains("*") ? "e.event_type GLOB ?" : "e.event_type = ?")
                arguments += [eventType.contains("*") ? SQLiteEventStore.globPattern(eventType) : eventType]
            }
            if let since {
                clauses.append("e.received_at >= ?")
                arguments += [since]
            }
            if let until {
                clauses.append("e.received_at < ?")
                arguments += [until]
            }
            if let before {
                clauses.append("e.id < ?")
                arguments += [before]
            }
            if status != nil || handler != nil {
                clauses.append("EXISTS (SELECT 1 FROM deliveries d WHERE d.event_row = e.id AND (? IS NULL OR d.status = ?) AND (? IS NULL OR d.handler = ?))")
                arguments += [status, status, handler, handler]
            }
            arguments += [limit]
            let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let rows = try Row.fetchAll(
                db, sql: "SELECT e.id, e.provider, e.event_id, e.event_type, e.received_at FROM events e \(filter) ORDER BY e.id DESC LIMIT ?",
                arguments: arguments)
            return try rows.map { row in
                let id: Int64 = try row.decode(forColumn: "id")
                let deliveries = try Row.fetchAll(db, sql: "SELECT id, handler, status, attempts FROM deliveries WHERE event_row = ? ORDER BY id", arguments: [id])
                    .map { EventSummary.Delivery(id: try $0.decode(forColumn: "id"), handler: try $0.decode(forColumn: "handler"), status: try $0.decode(forColumn: "status"), attempts: try $0.decode(forColumn: "attempts")) }
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

    /// Finds an event by row id (digits) or by event id; `nil` when none, and all
    /// matches when an event id exists for several providers.
    public func resolveEvents(_ reference: String, provider: Provider? = nil) async throws -> [StoredEvent] {
        if let row = Int64(reference), let event = try await event(id: row) { return [event] }
        if let provider { return try await event(provider: provider, eventID: reference).map { [$0] } ?? [] }
        var found: [StoredEvent] = []
        for candidate in Provider.allCases {
            if let event = try await event(provider: candidate, eventID: reference) { found.append(event) }
        }
        return found
    }
}
