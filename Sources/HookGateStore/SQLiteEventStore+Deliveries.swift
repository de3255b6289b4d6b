import Foundation
import GRDB
import HookGateCore

/// The delivery queue: deliveries claimed by the dispatcher, attempts recorded, redelivery.
extension SQLiteEventStore {
    /// Puts deliveries a stopped process left `in_flight` back to be retried now
    /// (at-least-once: the handler may see that attempt again). One gate owns a SQLite
    /// file, so every claim in it is the stopped process's. Returns how many.
    @discardableResult
    package func resumeInFlight(now: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN ? ELSE ? END, next_attempt_at = ?, updated_at = ?,
                      lease_until = NULL, claim = NULL
                    WHERE status = ?
                    """,
                arguments: [DeliveryStatus.pending, DeliveryStatus.retrying, now, now, DeliveryStatus.inFlight])
            return db.changesCount
        }
    }

    /// Claims up to `limit` due deliveries of `handler` (marks them `in_flight` under a lease
    /// until `leaseUntil` with a fresh claim token) and returns them with their events. A
    /// delivery with an order key is due only when no earlier delivery of the same handler
    /// and key is still pending, retrying or in flight.
    package func claimDue(handler: String, now: Int64, leaseUntil: Int64, limit: Int) async throws -> [DeliveryJob] {
        guard limit > 0 else { return [] }
        return try await relaxedWrite { db in
            // Deliveries whose lease ran out first (rare: a claim its gate stopped renewing;
            // few rows, found through the status index), then those due, in due order.
            // Cached statements: the claim runs whenever a slot frees up, and parsing and
            // planning these joins each time cost more than running them.
            var rows = try Row.fetchAll(
                try db.cachedStatement(sql: SQLiteEventStore.claimLeasedSQL), arguments: [handler, now, limit])
            if rows.count < limit {
                rows += try Row.fetchAll(
                    try db.cachedStatement(sql: SQLiteEventStore.claimWaitingSQL), arguments: [handler, now, limit - rows.count])
            }
            var jobs: [DeliveryJob] = []
            let claim = try db.cachedStatement(sql: "UPDATE deliveries SET status = ?, lease_until = ?, claim = ?, updated_at = ? WHERE id = ?")
            for row in rows {
                let id: Int64 = try row.decode(forColumn: "id")
                let token = Int64.random(in: 1...Int64.max)
                try claim.execute(arguments: [DeliveryStatus.inFlight, leaseUntil, token, now, id])
                let headers = StoredHeaders.decode(try row.decode(forColumn: "headers"))
                let body: Data = try row.decode(forColumn: "body")
                jobs.append(
                    DeliveryJob(
                        deliveryID: id, claim: token, handler: handler, attempt: try row.decode(Int.self, forColumn: "attempts") + 1,
                        createdAt: try row.decode(forColumn: "created_at"), eventRow: try row.decode(forColumn: "event_row"),
                        provider: Provider(rawValue: try row.decode(String.self, forColumn: "provider")) ?? .plaid,
                        eventID: try row.decode(forColumn: "event_id"), eventType: try row.decode(forColumn: "event_type"), body: Array(body),
                        contentType: StoredHeaders.contentType(headers), receivedAt: try row.decode(forColumn: "received_at")))
            }
            return jobs
        }
    }

    /// The claim query for deliveries whose lease ran out, built once.
    static let claimLeasedSQL = claimSQL(waiting: false)
    /// The claim query for deliveries waiting and due, built once.
    static let claimWaitingSQL = claimSQL(waiting: true)

    /// The claim query: deliveries waiting and due (`waiting`), or in flight under a lease
    /// that ran out; either way only the oldest unfinished one of an order key.
    ///
    /// The states are literals, not bound values, so SQLite can prove the partial indexes
    /// apply (`deliveries_waiting`, `deliveries_leased`) and walk them in due order up to the
    /// limit; with `status IN (?, ?)` it chose `deliveries_due` and sorted every due delivery
    /// on each claim (a 100,000-delivery backlog drained at 585/s).
    static func claimSQL(waiting: Bool) -> String {
        let due = waiting ? "d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?" : "d.status = 'in_flight' AND d.lease_until <= ?"
        return """
            SELECT d.id, d.attempts, d.created_at, d.event_row, e.provider, e.event_id, e.event_type, e.body, e.headers, e.received_at
            FROM deliveries d JOIN events e ON e.id = d.event_row
            WHERE d.handler = ? AND \(due)
              AND (d.order_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM deliveries p WHERE p.handler = d.handler AND p.order_key = d.order_key AND p.id < d.id
                  AND p.status IN ('pending', 'retrying', 'in_flight')))
            ORDER BY \(waiting ? "d.next_attempt_at" : "d.lease_until"), d.id LIMIT ?
            """
    }

    /// SQLite's plans for the two claim queries, `[lease ran out, waiting]`, each as the
    /// `EXPLAIN QUERY PLAN` steps joined with `"; "`: for checking that claims walk the
    /// partial indexes in due order instead of sorting every due delivery.
    package func claimQueryPlans() async throws -> [String] {
        try await pool.read { db in
            try [SQLiteEventStore.claimLeasedSQL, SQLiteEventStore.claimWaitingSQL].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: ["h", 0, 1])
                    .map { row -> String in row["detail"] }.joined(separator: "; ")
            }
        }
    }

    /// Extends the leases of claims still held; returns how many.
    @discardableResult
    package func renewLeases(_ claims: [DeliveryClaim], until: Int64) async throws -> Int {
        guard !claims.isEmpty else { return 0 }
        return try await relaxedWrite { db in
            let renew = try db.cachedStatement(sql: "UPDATE deliveries SET lease_until = ? WHERE id = ? AND status = ? AND claim = ?")
            var renewed = 0
            for held in claims {
                try renew.execute(arguments: [until, held.deliveryID, DeliveryStatus.inFlight, held.claim])
                renewed += db.changesCount
            }
            return renewed
        }
    }

    /// Records attempts and moves their deliveries on, all in one transaction.
    package func complete(_ results: [AttemptResult]) async throws {
        guard !results.isEmpty else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await relaxedWrite { db in
            let attempt = try db.cachedStatement(
                sql:
                    "INSERT INTO attempts (delivery_id, number, started_at, duration_ms, succeeded, status_code, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?)"
            )
            let update = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, last_error = ?, lease_until = NULL, claim = NULL
                    WHERE id = ? AND status = ? AND claim = ?
                    """
            )
            for result in results {
                try attempt.execute(arguments: [
                    result.deliveryID, result.attempt, result.startedAt, result.durationMilliseconds, result.succeeded, result.statusCode,
                    result.excerpt,
                ])
                let (status, next): (DeliveryStatus, Int64) =
                    switch result.next {
                    case .delivered: (.delivered, now)
                    case .retry(let at): (.retrying, at)
                    case .dead: (.dead, now)
                    }
                try update.execute(arguments: [
                    status, result.attempt, next, now, result.succeeded ? nil : result.excerpt, result.deliveryID, DeliveryStatus.inFlight,
                    result.claim,
                ])
            }
        }
    }

    /// The earliest `next_attempt_at` of a waiting delivery (Unix ms), if any.
    package func nextDueTime() async throws -> Int64? {
        try await pool.read { db in
            let waiting: StatementArguments = [DeliveryStatus.pending, DeliveryStatus.retrying]
            return try Int64.fetchOne(db, sql: "SELECT min(next_attempt_at) FROM deliveries WHERE status IN (?, ?)", arguments: waiting)
        }
    }

    /// Makes the deliveries of event row `eventRow` due now (all of them, or only
    /// `handler`'s), whatever their state except in flight. Returns how many.
    @discardableResult
    package func redeliver(eventRow: Int64, handler: String?) async throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ?
                    WHERE event_row = ? AND status != ? AND (? IS NULL OR handler = ?)
                    """,
                arguments: [DeliveryStatus.retrying, now, now, eventRow, DeliveryStatus.inFlight, handler, handler])
            return db.changesCount
        }
    }

    /// Makes delivery `deliveryID` due now unless it is in flight.
    package func redeliver(deliveryID: Int64) async throws -> RedeliveryOutcome {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await pool.write { db in
            try db.execute(
                sql: "UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status != ?",
                arguments: [DeliveryStatus.retrying, now, now, deliveryID, DeliveryStatus.inFlight])
            if db.changesCount > 0 { return .queued }
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = ?)", arguments: [deliveryID]) ?? false
            return exists ? .inFlight : .notFound
        }
    }

    /// Makes every dead delivery (of `handler`, if given) due now. Returns how many.
    @discardableResult
    package func redeliverDead(handler: String?) async throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await pool.write { db in
            try db.execute(
                sql: "UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ? WHERE status = ? AND (? IS NULL OR handler = ?)",
                arguments: [DeliveryStatus.retrying, now, now, DeliveryStatus.dead, handler, handler])
            return db.changesCount
        }
    }
}
