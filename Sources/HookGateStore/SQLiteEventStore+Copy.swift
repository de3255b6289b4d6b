import Foundation
import GRDB
import HookGateCore

/// `hookgate store copy`: this file as a copy's source (read in row order, in batches, one read
/// transaction each) and as its target (each batch and the ``CopyMarker`` in one write transaction).
extension SQLiteEventStore: StoreCopySource, StoreCopyTarget {
    /// `sqlite:` and the file's absolute path.
    package var copyIdentity: String {
        "sqlite:" + URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    package func copyHighestRow() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM events") ?? 0 }
    }

    package func copyEvents(afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?", arguments: [afterRow, throughRow, limit])
            return try SQLiteEventStore.copied(try rows.map(SQLiteEventStore.decode), db)
        }
    }

    package func copyEvents(changedSince: Int64, afterRow: Int64, throughRow: Int64, limit: Int) async throws -> [CopiedEvent] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM events WHERE id IN (
                        SELECT DISTINCT event_row FROM deliveries WHERE updated_at >= ? AND event_row > ? AND event_row <= ?
                        ORDER BY event_row LIMIT ?
                    ) ORDER BY id
                    """, arguments: [changedSince, afterRow, throughRow, limit])
            return try SQLiteEventStore.copied(try rows.map(SQLiteEventStore.decode), db)
        }
    }

    /// `events` with their deliveries (in id order) and attempt records, read in the caller's transaction.
    static func copied(_ events: [StoredEvent], _ db: Database) throws -> [CopiedEvent] {
        guard let first = events.first?.id, let last = events.last?.id else { return [] }
        var records: [Int64: [AttemptRecord]] = [:]
        let attemptRows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
                WHERE d.event_row >= ? AND d.event_row <= ? ORDER BY a.delivery_id, a.number, a.id
                """, arguments: [first, last])
        for row in attemptRows {
            let record = AttemptRecord(
                deliveryID: row["delivery_id"], number: row["number"], startedAt: row["started_at"], durationMilliseconds: row["duration_ms"],
                succeeded: row["succeeded"], statusCode: row["status_code"], excerpt: row["excerpt"])
            records[record.deliveryID, default: []].append(record)
        }
        var deliveries: [Int64: [CopiedDelivery]] = [:]
        let deliveryRows = try Row.fetchAll(
            db, sql: "SELECT * FROM deliveries WHERE event_row >= ? AND event_row <= ? ORDER BY id", arguments: [first, last])
        for row in deliveryRows {
            let id: Int64 = row["id"]
            let delivery = CopiedDelivery(
                handler: row["handler"], status: try row.decode(forColumn: "status"), attempts: row["attempts"],
                nextAttemptAt: row["next_attempt_at"],
                orderKey: row["order_key"], createdAt: row["created_at"], updatedAt: row["updated_at"], lastError: row["last_error"],
                records: records[id] ?? [])
            let eventRow: Int64 = row["event_row"]
            deliveries[eventRow, default: []].append(delivery)
        }
        return events.map { CopiedEvent(event: $0, deliveries: deliveries[$0.id] ?? []) }
    }

    package func copyChangedDeliveries(since: Int64, throughRow: Int64) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries WHERE updated_at >= ? AND event_row <= ?", arguments: [since, throughRow]) ?? 0
        }
    }

    package func copyEventCount(afterRow: Int64) async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE id > ?", arguments: [afterRow]) ?? 0 }
    }

    package func copyKeys() async throws -> [CopiedKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT provider, kid, jwk, saved_at FROM keys ORDER BY provider, kid").map {
                CopiedKey(provider: $0["provider"], keyID: $0["kid"], jwk: $0["jwk"], savedAt: $0["saved_at"])
            }
        }
    }

    package func copyCensus(throughRow: Int64?) async throws -> StoreCensus {
        let through = throughRow ?? Int64.max
        return try await pool.read { db in
            var census = StoreCensus()
            for row in try Row.fetchAll(db, sql: "SELECT provider, count(*) AS n FROM events WHERE id <= ? GROUP BY provider", arguments: [through]) {
                let provider: String = row["provider"]
                let count: Int = row["n"]
                census.events[provider] = count
            }
            // A delivery in flight is counted as the target holds it: put back, due.
            let states = try Row.fetchAll(
                db,
                sql: """
                    SELECT CASE WHEN status = 'in_flight' THEN CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END ELSE status END AS state,
                    count(*) AS n FROM deliveries WHERE event_row <= ? GROUP BY state
                    """, arguments: [through])
            for row in states {
                let count: Int = row["n"]
                census.deliveries[try row.decode(DeliveryStatus.self, forColumn: "state"), default: 0] += count
            }
            census.attempts =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_row <= ?", arguments: [through])
                ?? 0
            census.keys = try Int.fetchOne(db, sql: "SELECT count(*) FROM keys") ?? 0
            return census
        }
    }

    package func copyEventIDs(provider: String, throughRow: Int64?) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT event_id FROM events WHERE provider = ? AND id <= ?", arguments: [provider, throughRow ?? Int64.max])
        }
    }

    // MARK: Target

    package func copyMarker() async throws -> CopyMarker? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM copy_marker WHERE id = 1").map {
                CopyMarker(
                    source: $0["source"], throughRow: $0["through_row"], complete: $0["complete"], readsSince: $0["reads_since"],
                    updatedAt: $0["updated_at"])
            }
        }
    }

    package func copyHoldsData() async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM deliveries) OR EXISTS (SELECT 1 FROM attempts)
                    OR EXISTS (SELECT 1 FROM keys)
                    """) ?? false
        }
    }

    package func importCopy(_ events: [CopiedEvent], marker: CopyMarker) async throws {
        try await pool.write { db in
            let insertEvent = try db.cachedStatement(
                sql: """
                    INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims, recovered)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING
                    """)
            for copied in events {
                let event = copied.event
                try insertEvent.execute(arguments: [
                    event.provider.rawValue, event.eventID, event.eventType, Data(event.body), event.bodySHA256,
                    StoredHeaders.encode(event.headers), event.clientIP, event.requestID, event.receivedAt, event.claims, event.recovered?.json,
                ])
                if db.changesCount == 1 {
                    let row = db.lastInsertedRowID
                    for delivery in copied.deliveries { try SQLiteEventStore.insertCopied(delivery, eventRow: row, db) }
                    continue
                }
                // Copied by an earlier run: bring its deliveries to the source's state, in place.
                let row = try Int64.fetchOne(
                    db, sql: "SELECT id FROM events WHERE provider = ? AND event_id = ?", arguments: [event.provider.rawValue, event.eventID])!
                let existing = try Int64.fetchAll(db, sql: "SELECT id FROM deliveries WHERE event_row = ? ORDER BY id", arguments: [row])
                for (index, delivery) in copied.deliveries.enumerated() {
                    guard index < existing.count else {
                        try SQLiteEventStore.insertCopied(delivery, eventRow: row, db)
                        continue
                    }
                    try db.execute(
                        sql: """
                            UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, order_key = ?, updated_at = ?, last_error = ?,
                            lease_until = NULL, claim = NULL WHERE id = ?
                            """,
                        arguments: [
                            delivery.status, delivery.attempts, delivery.nextAttemptAt, delivery.orderKey, delivery.updatedAt, delivery.lastError,
                            existing[index],
                        ])
                    try db.execute(sql: "DELETE FROM attempts WHERE delivery_id = ?", arguments: [existing[index]])
                    try SQLiteEventStore.insertRecords(delivery.records, deliveryID: existing[index], db)
                }
            }
            try SQLiteEventStore.saveMarker(marker, db)
        }
    }

    static func insertCopied(_ delivery: CopiedDelivery, eventRow: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO deliveries (event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at, last_error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            eventRow, delivery.handler, delivery.status, delivery.attempts, delivery.nextAttemptAt, delivery.orderKey, delivery.createdAt,
            delivery.updatedAt, delivery.lastError,
        ])
        try insertRecords(delivery.records, deliveryID: db.lastInsertedRowID, db)
    }

    static func insertRecords(_ records: [AttemptRecord], deliveryID: Int64, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, succeeded, status_code, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for record in records {
            try statement.execute(arguments: [
                deliveryID, record.number, record.startedAt, record.durationMilliseconds, record.succeeded, record.statusCode, record.excerpt,
            ])
        }
    }

    static func saveMarker(_ marker: CopyMarker, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO copy_marker (id, source, through_row, complete, reads_since, updated_at) VALUES (1, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET source = excluded.source, through_row = excluded.through_row, complete = excluded.complete,
                reads_since = excluded.reads_since, updated_at = excluded.updated_at
                """, arguments: [marker.source, marker.throughRow, marker.complete, marker.readsSince, marker.updatedAt])
    }

    package func importKeys(_ keys: [CopiedKey], marker: CopyMarker) async throws {
        try await pool.write { db in
            for key in keys {
                try db.execute(
                    sql: """
                        INSERT INTO keys (provider, kid, jwk, saved_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (provider, kid) DO UPDATE SET jwk = excluded.jwk, saved_at = excluded.saved_at
                        """, arguments: [key.provider, key.keyID, key.jwk, key.savedAt])
            }
            try SQLiteEventStore.saveMarker(marker, db)
        }
    }
}
