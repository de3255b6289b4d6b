import Foundation

/// Reading what the store holds: events, their deliveries and attempts, and the totals
/// `/stats` reports. Used by the admin routes and `hookgate events`.
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in HookGatePostgres.
public protocol EventQueries: Sendable {
    /// The event with row id `id`, or `nil`.
    func event(id: Int64) async throws -> StoredEvent?

    /// The event with this provider and event id, or `nil`.
    func event(provider: Provider, eventID: String) async throws -> StoredEvent?

    /// Every stored event with this event id, whatever its provider (at most 100, by provider).
    func events(eventID: String) async throws -> [StoredEvent]

    /// Events whose event id starts with `prefix` (of `provider`, when given), newest first, at
    /// most `limit`: how `hookgate events` finds an event from the shortened id a listing shows.
    /// The comparison is exact (case-sensitive, no wildcards: `%` and `_` are plain characters).
    func events(eventIDPrefix prefix: String, provider: Provider?, limit: Int) async throws -> [StoredEvent]

    /// Events received at or after `since` (Unix ms, when given), of `provider` (when given),
    /// newest first, at most `limit`: what `hookgate events export` writes.
    func events(provider: Provider?, since: Int64?, limit: Int) async throws -> [StoredEvent]

    /// Events matching `filter`, newest (highest row id) first, each with its deliveries' states.
    func eventSummaries(_ filter: EventFilter) async throws -> [EventSummary]

    /// Deliveries matching `filter`, newest first.
    func deliveries(_ filter: DeliveryFilter) async throws -> [DeliveryRecord]

    /// Every recorded attempt of delivery `deliveryID`, in order.
    func attempts(deliveryID: Int64) async throws -> [AttemptRecord]

    /// Deliveries by state, and the age at `now` (Unix ms) of the oldest one not yet delivered or dead.
    func deliveryCounts(now: Int64) async throws -> DeliveryCounts

    /// The number of stored events and the bytes the backend uses for them.
    func size() async throws -> (events: Int, bytes: Int64)
}

extension EventQueries {
    /// Finds an event by row id (all digits) or by event id: empty when none, several when
    /// the event id exists for several providers and `provider` is not given.
    public func resolveEvents(_ reference: String, provider: Provider? = nil) async throws -> [StoredEvent] {
        if let row = Int64(reference), let event = try await event(id: row) { return [event] }
        if let provider { return try await event(provider: provider, eventID: reference).map { [$0] } ?? [] }
        return try await events(eventID: reference)
    }

    /// Events, newest first; see ``EventFilter`` for each parameter.
    public func eventSummaries(
        status: DeliveryStatus? = nil, provider: Provider? = nil, handler: String? = nil, eventType: String? = nil, since: Int64? = nil,
        until: Int64? = nil, before: Int64? = nil, limit: Int = 50
    ) async throws -> [EventSummary] {
        try await eventSummaries(
            EventFilter(
                status: status, provider: provider, handler: handler, eventType: eventType, since: since, until: until, before: before, limit: limit))
    }

    /// Deliveries, newest first; see ``DeliveryFilter`` for each parameter.
    public func deliveries(
        status: DeliveryStatus? = nil, provider: Provider? = nil, handler: String? = nil, eventRow: Int64? = nil, limit: Int = 100
    ) async throws -> [DeliveryRecord] {
        try await deliveries(DeliveryFilter(status: status, provider: provider, handler: handler, eventRow: eventRow, limit: limit))
    }

    /// The newest events, at most `limit`, whatever their provider or age.
    public func events(limit: Int) async throws -> [StoredEvent] {
        try await events(provider: nil, since: nil, limit: limit)
    }

    /// Deliveries by state now.
    public func deliveryCounts() async throws -> DeliveryCounts {
        try await deliveryCounts(now: Int64(Date().timeIntervalSince1970 * 1000))
    }
}
