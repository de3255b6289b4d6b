import Foundation
import HookGateCore
import Logging
import NIOCore
import PostgresNIO

/// `hookgate store copy`: this database as a copy's source (read in row order, in batches, each
/// from one snapshot) and as its target (each batch and the ``CopyMarker`` in one transaction).
extension PostgresEventStore: StoreCopySource, StoreCopyTarget {
    /// The most binds one statement of a copied batch takes (PostgreSQL's limit is 65,535).
    static let copyBindLimit = 30_000

    /// `postgresql://` and the database's location, without the password.
    package var copyIdentity: String { url.description }

    package func copyHighestRow() async throws -> Int64 {
        for try await row in try await relaxed.query("SELECT coalesce(max(id), 0)::bigint FROM events").decode(Int64.self) { return row }
        return 0
    }

    package func copyEvents(afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent] {
        try await copied(
            "SELECT * FROM events WHERE id > \(afterRow) AND id <= \(throughRow) ORDER BY id LIMIT \(Int64(limit))")
    }

    package func copyEvents(changedSince: Int64, afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent] {
        try await copied(
            """
            SELECT * FROM events WHERE id IN (
                SELECT DISTINCT event_row FROM deliveries
                WHERE updated_at >= \(changedSince) AND event_row > \(afterRow) AND event_row <= \(throughRow)
                ORDER BY event_row LIMIT \(Int64(limit))
            ) ORDER BY id
            """)
    }

    /// The events `query` selects, with their deliveries and attempt records, from one snapshot.
    private func copied(_ query: PostgresQuery) async throws -> [CopiedEvent] {
        let logger = self.logger
        return try await relaxed.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            var events: [StoredEvent] = []
            for try await row in try await connection.query(query, logger: logger) {
                events.append(try PostgresEventStore.decodeEvent(row.makeRandomAccess()))
            }
            guard !events.isEmpty else { return [] }
            let rows = events.map(\.id)
            var records: [Int64: [AttemptRecord]] = [:]
            let attempts = try await connection.query(
                """
                SELECT a.delivery_id, a.number, a.started_at, a.duration_ms, a.succeeded, a.status_code, a.excerpt
                FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_row = ANY(\(rows)::bigint[])
                ORDER BY a.delivery_id, a.number, a.id
                """, logger: logger)
            for try await (delivery, number, startedAt, duration, succeeded, statusCode, excerpt) in attempts.decode(
                (Int64, Int32, Int64, Double, Bool, Int32?, String?).self)
            {
                records[delivery, default: []].append(
                    AttemptRecord(
                        deliveryID: delivery, number: Int(number), startedAt: startedAt, durationMilliseconds: duration, succeeded: succeeded,
                        statusCode: statusCode.map(Int.init), excerpt: excerpt))
            }
            var deliveries: [Int64: [CopiedDelivery]] = [:]
            let deliveryRows = try await connection.query(
                """
                SELECT id, event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at, last_error
                FROM deliveries WHERE event_row = ANY(\(rows)::bigint[]) ORDER BY id
                """, logger: logger)
            for try await (id, eventRow, handler, status, count, next, orderKey, created, updated, lastError) in deliveryRows.decode(
                (Int64, Int64, String, String, Int32, Int64, String?, Int64, Int64, String?).self)
            {
                deliveries[eventRow, default: []].append(
                    CopiedDelivery(
                        handler: handler, status: DeliveryStatus(rawValue: status) ?? .pending, attempts: Int(count), nextAttemptAt: next,
                        orderKey: orderKey, createdAt: created, updatedAt: updated, lastError: lastError, records: records[id] ?? []))
            }
            return events.map { CopiedEvent(event: $0, deliveries: deliveries[$0.id] ?? []) }
        }
    }

    package func copyChangedDeliveries(since: Int64, throughRow: Int64) async throws -> Int {
        try await count("SELECT count(*) FROM deliveries WHERE updated_at >= \(since) AND event_row <= \(throughRow)")
    }

    package func copyEventCount(afterRow: Int64) async throws -> Int {
        try await count("SELECT count(*) FROM events WHERE id > \(afterRow)")
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await value in try await relaxed.query(query).decode(Int64.self) { return Int(value) }
        return 0
    }

    package func copyKeys() async throws -> [CopiedKey] {
        var keys: [CopiedKey] = []
        let rows = try await relaxed.query("SELECT provider, kid, jwk, saved_at FROM keys ORDER BY provider, kid")
        for try await (provider, kid, jwk, savedAt) in rows.decode((String, String, String, Int64).self) {
            keys.append(CopiedKey(provider: provider, keyID: kid, jwk: jwk, savedAt: savedAt))
        }
        return keys
    }

    package func copyCensus(throughRow: Int64?) async throws -> StoreCensus {
        let through = throughRow ?? Int64.max
        let logger = self.logger
        return try await relaxed.withTransaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            var census = StoreCensus()
            let events = try await connection.query("SELECT provider, count(*) FROM events WHERE id <= \(through) GROUP BY provider", logger: logger)
            for try await (provider, count) in events.decode((String, Int64).self) { census.events[provider] = Int(count) }
            // A delivery in flight is counted as the target holds it: put back, due.
            let states = try await connection.query(
                """
                SELECT CASE WHEN status = 'in_flight' THEN CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END ELSE status END, count(*)
                FROM deliveries WHERE event_row <= \(through) GROUP BY 1
                """, logger: logger)
            for try await (state, count) in states.decode((String, Int64).self) {
                census.deliveries[DeliveryStatus(rawValue: state) ?? .pending, default: 0] += Int(count)
            }
            let attempts = try await connection.query(
                "SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_row <= \(through)", logger: logger)
            for try await count in attempts.decode(Int64.self) { census.attempts = Int(count) }
            for try await count in try await connection.query("SELECT count(*) FROM keys", logger: logger).decode(Int64.self) {
                census.keys = Int(count)
            }
            return census
        }
    }

    package func copyEventIDs(provider: String, throughRow: Int64?) async throws -> [String] {
        var ids: [String] = []
        let rows = try await relaxed.query("SELECT event_id FROM events WHERE provider = \(provider) AND id <= \(throughRow ?? Int64.max)")
        for try await id in rows.decode(String.self) { ids.append(id) }
        return ids
    }

    // MARK: Target

    package func copyMarker() async throws -> CopyMarker? {
        let rows = try await durable.query("SELECT source, through_row, complete, reads_since, updated_at FROM copy_marker WHERE id = 1")
        for try await (source, through, complete, since, updated) in rows.decode((String, Int64, Bool, Int64, Int64).self) {
            return CopyMarker(source: source, throughRow: through, complete: complete, readsSince: since, updatedAt: updated)
        }
        return nil
    }

    package func copyHoldsData() async throws -> Bool {
        let rows = try await durable.query(
            """
            SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM deliveries) OR EXISTS (SELECT 1 FROM attempts)
            OR EXISTS (SELECT 1 FROM keys)
            """)
        for try await holds in rows.decode(Bool.self) { return holds }
        return false
    }

    /// Hand-written multi-row statements, at most ``copyBindLimit`` binds each: a batch is a few
    /// statements (events, deliveries, attempt records) in one transaction, not one per row.
    package func importCopy(_ events: [CopiedEvent], marker: CopyMarker) async throws {
        let logger = self.logger
        try await durable.withTransaction(logger: logger) { connection in
            // Events, in source row order (so the target's row order is the source's).
            var rowOf: [String: Int64] = [:]
            var inserted = Set<String>()
            for chunk in PostgresEventStore.chunks(events.indices, binds: 10) {
                var statement = PostgresStatement(
                    "INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims) "
                        + "VALUES "
                )
                for (position, index) in chunk.enumerated() {
                    statement.append((position == 0 ? "" : ", ") + PostgresEventStore.eventRow(IncomingEvent(copying: events[index].event), into: &statement))
                }
                statement.append(" ON CONFLICT (provider, event_id) DO NOTHING RETURNING id, provider, event_id")
                for try await (id, provider, eventID) in try await connection.query(statement.query, logger: logger).decode(
                    (Int64, String, String).self)
                {
                    rowOf[provider + "\u{0}" + eventID] = id
                    inserted.insert(provider + "\u{0}" + eventID)
                }
            }
            // Recovered from the quarantine: the mark is not among the intake's binds.
            for copied in events {
                guard let recovered = copied.event.recovered?.json else { continue }
                try await connection.query(
                    "UPDATE events SET recovered = \(recovered) WHERE provider = \(copied.event.provider.rawValue) AND event_id = \(copied.event.eventID)",
                    logger: logger)
            }
            // Copied by an earlier run: their deliveries are brought to the source's state in place.
            let earlier = events.filter { !inserted.contains($0.event.provider.rawValue + "\u{0}" + $0.event.eventID) }
            for copied in earlier {
                let event = copied.event
                var row: Int64?
                for try await id in try await connection.query(
                    "SELECT id FROM events WHERE provider = \(event.provider.rawValue) AND event_id = \(event.eventID)", logger: logger
                ).decode(Int64.self) { row = id }
                guard let row else { continue }
                var existing: [Int64] = []
                for try await id in try await connection.query("SELECT id FROM deliveries WHERE event_row = \(row) ORDER BY id", logger: logger)
                    .decode(Int64.self)
                {
                    existing.append(id)
                }
                for (index, delivery) in copied.deliveries.enumerated() where index < existing.count {
                    try await connection.query(
                        """
                        UPDATE deliveries SET status = \(delivery.status.rawValue), attempts = \(Int32(delivery.attempts)),
                        next_attempt_at = \(delivery.nextAttemptAt), order_key = \(delivery.orderKey), updated_at = \(delivery.updatedAt),
                        last_error = \(delivery.lastError), lease_until = NULL, claim = NULL WHERE id = \(existing[index])
                        """, logger: logger)
                    try await connection.query("DELETE FROM attempts WHERE delivery_id = \(existing[index])", logger: logger)
                    try await PostgresEventStore.insertRecords(delivery.records.map { (existing[index], $0) }, connection, logger)
                }
                let missing = copied.deliveries.dropFirst(existing.count).map { (row, $0) }
                try await PostgresEventStore.insertDeliveries(missing, connection, logger)
            }
            // New events' deliveries, in source order (ids follow it, so order_key order holds), then their attempt records.
            var planned: [(Int64, CopiedDelivery)] = []
            for copied in events {
                let key = copied.event.provider.rawValue + "\u{0}" + copied.event.eventID
                guard inserted.contains(key), let row = rowOf[key] else { continue }
                planned += copied.deliveries.map { (row, $0) }
            }
            try await PostgresEventStore.insertDeliveries(planned, connection, logger)
            try await PostgresEventStore.saveMarker(marker, connection, logger)
        }
    }

    /// Inserts deliveries (each for its event row) in the given order, then their attempt records.
    static func insertDeliveries(_ planned: [(Int64, CopiedDelivery)], _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard !planned.isEmpty else { return }
        var records: [(Int64, AttemptRecord)] = []
        for chunk in chunks(planned.indices, binds: 9) {
            var statement = PostgresStatement(
                "INSERT INTO deliveries (event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at, last_error) "
                    + "VALUES "
            )
            for (position, index) in chunk.enumerated() {
                let (row, delivery) = planned[index]
                let values = [
                    statement.bind(row, as: "bigint"), statement.bind(delivery.handler, as: "text"),
                    statement.bind(delivery.status.rawValue, as: "text"),
                    statement.bind(Int64(delivery.attempts), as: "integer"), statement.bind(delivery.nextAttemptAt, as: "bigint"),
                    statement.bind(delivery.orderKey, as: "text"), statement.bind(delivery.createdAt, as: "bigint"),
                    statement.bind(delivery.updatedAt, as: "bigint"), statement.bind(delivery.lastError, as: "text"),
                ]
                statement.append((position == 0 ? "(" : ", (") + values.joined(separator: ", ") + ")")
            }
            statement.append(" RETURNING id")
            var ids: [Int64] = []
            for try await id in try await connection.query(statement.query, logger: logger).decode(Int64.self) { ids.append(id) }
            // Identity values are drawn in VALUES order: the smallest id is the first row.
            ids.sort()
            for (id, index) in zip(ids, chunk) { records += planned[index].1.records.map { (id, $0) } }
        }
        try await insertRecords(records, connection, logger)
    }

    /// Inserts attempt records, each for its delivery id.
    static func insertRecords(_ records: [(Int64, AttemptRecord)], _ connection: PostgresConnection, _ logger: Logger) async throws {
        for chunk in chunks(records.indices, binds: 7) {
            var statement = PostgresStatement(
                "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, succeeded, status_code, excerpt) VALUES ")
            for (position, index) in chunk.enumerated() {
                let (delivery, record) = records[index]
                let values = [
                    statement.bind(delivery, as: "bigint"), statement.bind(Int64(record.number), as: "integer"),
                    statement.bind(record.startedAt, as: "bigint"), statement.bind(record.durationMilliseconds, as: "double precision"),
                    statement.bind(record.succeeded, as: "boolean"), statement.bind(record.statusCode.map(Int64.init), as: "integer"),
                    statement.bind(record.excerpt, as: "text"),
                ]
                statement.append((position == 0 ? "(" : ", (") + values.joined(separator: ", ") + ")")
            }
            try await connection.query(statement.query, logger: logger)
        }
    }

    /// `indices` in runs of at most ``copyBindLimit`` / `binds` (`binds` per row); none when empty.
    static func chunks(_ indices: Range<Int>, binds: Int) -> [ArraySlice<Int>] {
        let all = Array(indices)
        let size = max(1, copyBindLimit / binds)
        return stride(from: 0, to: all.count, by: size).map { all[$0..<min($0 + size, all.count)] }
    }

    static func saveMarker(_ marker: CopyMarker, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO copy_marker (id, source, through_row, complete, reads_since, updated_at)
            VALUES (1, \(marker.source), \(marker.throughRow), \(marker.complete), \(marker.readsSince), \(marker.updatedAt))
            ON CONFLICT (id) DO UPDATE SET source = excluded.source, through_row = excluded.through_row, complete = excluded.complete,
            reads_since = excluded.reads_since, updated_at = excluded.updated_at
            """, logger: logger)
    }

    package func importKeys(_ keys: [CopiedKey], marker: CopyMarker) async throws {
        let logger = self.logger
        try await durable.withTransaction(logger: logger) { connection in
            for key in keys {
                try await connection.query(
                    """
                    INSERT INTO keys (provider, kid, jwk, saved_at) VALUES (\(key.provider), \(key.keyID), \(key.jwk), \(key.savedAt))
                    ON CONFLICT (provider, kid) DO UPDATE SET jwk = excluded.jwk, saved_at = excluded.saved_at
                    """, logger: logger)
            }
            try await PostgresEventStore.saveMarker(marker, connection, logger)
        }
    }
}
