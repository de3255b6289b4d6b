import Foundation
import HookGateCore
import Logging
import NIOCore
import PostgresNIO

/// Writing events: the group commit's statement, retention, and reading events back.
extension PostgresEventStore {
    /// Commits a batch of events with their outbox rows. Hand-written SQL: the hot path.
    ///
    /// One statement per chunk: the events are inserted `ON CONFLICT DO NOTHING` in
    /// (provider, event id) order (so two gates' batches take their unique-index locks in
    /// the same order and cannot deadlock), and the outbox rows of those actually inserted
    /// go in with them. A later copy of an event within the batch is a duplicate without
    /// reaching the database. Several chunks (only past 60,000 binds) share a transaction.
    static func insert(_ batch: [IncomingEvent], into client: PostgresClient, logger: Logger) async throws -> [StoreOutcome] {
        var outcomes = [StoreOutcome](repeating: .duplicate, count: batch.count)
        var firstOfKey: [String: Int] = [:]
        var candidates: [Int] = []
        for (index, event) in batch.enumerated() {
            let key = event.provider.rawValue + "\u{0}" + event.eventID
            if firstOfKey[key] == nil {
                firstOfKey[key] = index
                candidates.append(index)
            }
        }
        candidates.sort { (batch[$0].provider.rawValue, batch[$0].eventID) < (batch[$1].provider.rawValue, batch[$1].eventID) }
        var chunks: [[Int]] = [[]]
        var binds = 0
        for index in candidates {
            let cost = 10 + 6 * batch[index].deliveries.count
            if binds + cost > 60_000, !chunks[chunks.count - 1].isEmpty {
                chunks.append([])
                binds = 0
            }
            chunks[chunks.count - 1].append(index)
            binds += cost
        }
        let statements = chunks.filter { !$0.isEmpty }.map { insertStatement(batch, $0) }
        var inserted: [(String, String)] = []
        if statements.count == 1 {
            inserted = try await run(statements[0].query, on: client)
        } else {
            inserted = try await client.withTransaction(logger: logger) { connection in
                var all: [(String, String)] = []
                for statement in statements {
                    for try await (provider, eventID) in try await connection.query(statement.query, logger: logger).decode((String, String).self) {
                        all.append((provider, eventID))
                    }
                }
                return all
            }
        }
        for (provider, eventID) in inserted {
            if let index = firstOfKey[provider + "\u{0}" + eventID] { outcomes[index] = .accepted }
        }
        return outcomes
    }

    private static func run(_ query: PostgresQuery, on client: PostgresClient) async throws -> [(String, String)] {
        var rows: [(String, String)] = []
        for try await row in try await client.query(query).decode((String, String).self) { rows.append(row) }
        return rows
    }

    /// The `(provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id,
    /// received_at, claims)` row of `event`, its values bound to `statement`.
    static func eventRow(_ event: IncomingEvent, into statement: inout PostgresStatement) -> String {
        let values = [
            statement.bind(event.provider.rawValue, as: "text"), statement.bind(event.eventID, as: "text"),
            statement.bind(event.eventType, as: "text"), statement.bind(ByteBuffer(bytes: event.body), as: "bytea"),
            statement.bind(event.bodySHA256, as: "text"), statement.bind(StoredHeaders.encode(event.headers), as: "text"),
            statement.bind(event.clientIP, as: "text"), statement.bind(event.requestID, as: "text"),
            statement.bind(event.receivedAt, as: "bigint"), statement.bind(event.claims, as: "text"),
        ]
        return "(" + values.joined(separator: ", ") + ")"
    }

    /// `WITH incoming AS (VALUES …), inserted AS (INSERT … RETURNING …), planned AS (VALUES …),
    /// outbox AS (INSERT INTO deliveries …) SELECT provider, event_id FROM inserted`.
    static func insertStatement(_ batch: [IncomingEvent], _ indices: [Int]) -> PostgresStatement {
        var statement = PostgresStatement(
            "WITH incoming (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims) AS (VALUES ")
        var planned: [String] = []
        for (position, index) in indices.enumerated() {
            let event = batch[index]
            statement.append((position == 0 ? "" : ", ") + eventRow(event, into: &statement))
            for delivery in event.deliveries {
                let row = [
                    statement.bind(Int64(planned.count), as: "bigint"),
                    statement.bind(event.provider.rawValue, as: "text"), statement.bind(event.eventID, as: "text"),
                    statement.bind(delivery.handler, as: "text"), statement.bind(delivery.orderKey, as: "text"),
                    statement.bind(event.receivedAt, as: "bigint"),
                ]
                planned.append("(" + row.joined(separator: ", ") + ")")
            }
        }
        statement.append(
            """
            ), inserted AS (
                INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims)
                SELECT * FROM incoming ORDER BY provider, event_id
                ON CONFLICT (provider, event_id) DO NOTHING
                RETURNING id, provider, event_id
            )
            """)
        if !planned.isEmpty {
            // One row per planned delivery, numbered in plan order: the outbox rows' ids follow it.
            statement.append(
                """
                , planned (n, provider, event_id, handler, order_key, received_at) AS (VALUES \(planned.joined(separator: ", "))),
                outbox AS (
                    INSERT INTO deliveries (event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at)
                    SELECT i.id, p.handler, 'pending', 0, p.received_at, p.order_key, p.received_at, p.received_at
                    FROM planned p JOIN inserted i ON i.provider = p.provider AND i.event_id = p.event_id
                    ORDER BY p.n
                )
                """)
        }
        statement.append(" SELECT provider, event_id FROM inserted")
        return statement
    }

    /// Deletes events received before `cutoff` (Unix ms) in transactions of 1000, with their
    /// deliveries and attempts (foreign keys). Holds an advisory lock for the whole run, so
    /// retention runs on one gate at a time: another gate's run returns 0 at once.
    @discardableResult
    package func prune(receivedBefore cutoff: Int64) async throws -> Int {
        try await durable.withConnection { connection in
            var locked = false
            for try await got in try await connection.query("SELECT pg_try_advisory_lock(\(PostgresSchema.retentionLock))", logger: logger).decode(
                Bool.self)
            {
                locked = got
            }
            guard locked else { return 0 }
            var total = 0
            do {
                while true {
                    var deleted = 0
                    let rows = try await connection.query(
                        """
                        WITH gone AS (
                            DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < \(cutoff) ORDER BY received_at LIMIT 1000)
                            RETURNING 1
                        ) SELECT count(*) FROM gone
                        """, logger: logger)
                    for try await count in rows.decode(Int64.self) { deleted = Int(count) }
                    total += deleted
                    if deleted < 1000 { break }
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.retentionLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.retentionLock))", logger: logger)
            return total
        }
    }

    package func event(id: Int64) async throws -> StoredEvent? {
        var conditions = PostgresConditions()
        conditions.add("id = ?", id, as: "bigint")
        return try await events(conditions.statement(prefix: "SELECT * FROM events")).first
    }

    package func event(provider: Provider, eventID: String) async throws -> StoredEvent? {
        var conditions = PostgresConditions()
        conditions.add("provider = ?", provider.rawValue, as: "text")
        conditions.add("event_id = ?", eventID, as: "text")
        return try await events(conditions.statement(prefix: "SELECT * FROM events")).first
    }

    package func events(eventID: String) async throws -> [StoredEvent] {
        var conditions = PostgresConditions()
        conditions.add("event_id = ?", eventID, as: "text")
        var statement = conditions.statement(prefix: "SELECT * FROM events")
        statement.append(" ORDER BY provider LIMIT 100")
        return try await events(statement)
    }

    package func events(eventIDPrefix prefix: String, provider: Provider?, limit: Int) async throws -> [StoredEvent] {
        // left() rather than LIKE: no wildcard escaping, and no collation-dependent range.
        var conditions = PostgresConditions()
        conditions.add("provider = ?", provider?.rawValue, as: "text")
        conditions.add("left(event_id, char_length(?)) = ?", values: [prefix, prefix], types: ["text", "text"])
        var statement = conditions.statement(prefix: "SELECT * FROM events")
        let limitValue = statement.bind(Int64(limit), as: "bigint")
        statement.append(" ORDER BY id DESC LIMIT " + limitValue)
        return try await events(statement)
    }

    package func events(provider: Provider?, since: Int64?, limit: Int) async throws -> [StoredEvent] {
        var conditions = PostgresConditions()
        conditions.add("provider = ?", provider?.rawValue, as: "text")
        conditions.add("received_at >= ?", since, as: "bigint")
        var statement = conditions.statement(prefix: "SELECT * FROM events")
        let limitValue = statement.bind(Int64(limit), as: "bigint")
        statement.append(" ORDER BY id DESC LIMIT " + limitValue)
        return try await events(statement)
    }

    private func events(_ statement: PostgresStatement) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        for try await row in try await relaxed.query(statement.query) {
            events.append(try PostgresEventStore.decodeEvent(row.makeRandomAccess()))
        }
        return events
    }

    static func decodeEvent(_ row: PostgresRandomAccessRow) throws -> StoredEvent {
        let body = try row["body"].decode(ByteBuffer.self)
        return StoredEvent(
            id: try row["id"].decode(Int64.self), provider: Provider(rawValue: try row["provider"].decode(String.self)) ?? .plaid,
            eventID: try row["event_id"].decode(String.self), eventType: try row["event_type"].decode(String.self),
            body: Array(body.readableBytesView), bodySHA256: try row["body_sha256"].decode(String.self),
            headers: StoredHeaders.decode(try row["headers"].decode(String.self)), clientIP: try row["client_ip"].decode(String?.self),
            requestID: try row["request_id"].decode(String.self), receivedAt: try row["received_at"].decode(Int64.self),
            claims: try row["claims"].decode(String?.self), recovered: EventRecovery(json: try row["recovered"].decode(String?.self)))
    }

    /// The number of stored events and the bytes their tables take (with indexes and TOAST).
    package func size() async throws -> (events: Int, bytes: Int64) {
        let rows = try await relaxed.query(
            """
            SELECT (SELECT count(*) FROM events), (SELECT sum(pg_total_relation_size(t))::bigint FROM unnest(ARRAY['events', 'deliveries', 'attempts', 'keys']::regclass[]) t)
            """)
        for try await (count, bytes) in rows.decode((Int64, Int64?).self) { return (Int(count), bytes ?? 0) }
        return (0, 0)
    }
}
