import Foundation
import HookGateCore
import NIOCore
import PostgresNIO

/// The delivery queue across gates: claims under leases with `FOR UPDATE SKIP LOCKED`,
/// attempt results, redelivery.
extension PostgresEventStore {
    /// Puts back the deliveries whose lease ran out before `now`: on a shared database the
    /// claims of live gates are not this gate's to take back. Returns how many.
    @discardableResult
    package func resumeInFlight(now: Int64) async throws -> Int {
        let rows = try await durable.query(
            """
            WITH resumed AS (
                UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, next_attempt_at = \(now),
                  updated_at = \(now), lease_until = NULL, claim = NULL
                WHERE status = 'in_flight' AND lease_until <= \(now)
                RETURNING 1
            ) SELECT count(*) FROM resumed
            """)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// Claims up to `limit` due deliveries of `handler`: the candidates are locked `FOR UPDATE
    /// SKIP LOCKED` (a delivery another gate is claiming is skipped, never waited for), marked
    /// `in_flight` until `leaseUntil` with a token from a sequence, and returned with their
    /// events. Deliveries whose lease ran out come first (one statement on the in-flight index),
    /// then those waiting and due, soonest first (another, walking the waiting index in due
    /// order: one statement for both made PostgreSQL sort every due delivery on each claim).
    /// Order by key holds across gates: a delivery with an order key is a candidate only when
    /// no earlier delivery of its handler and key is pending, retrying or in flight (whichever
    /// gate holds it).
    package func claimDue(handler: String, now: Int64, leaseUntil: Int64, limit: Int) async throws -> [DeliveryJob] {
        guard limit > 0 else { return [] }
        var jobs = try await claim(expired: true, handler: handler, now: now, leaseUntil: leaseUntil, limit: limit)
        if jobs.count < limit {
            jobs += try await claim(expired: false, handler: handler, now: now, leaseUntil: leaseUntil, limit: limit - jobs.count)
        }
        return jobs
    }

    private func claim(expired: Bool, handler: String, now: Int64, leaseUntil: Int64, limit: Int) async throws -> [DeliveryJob] {
        let due = expired ? "d.status = 'in_flight' AND d.lease_until <= $2" : "d.status IN ('pending', 'retrying') AND d.next_attempt_at <= $2"
        var binds = PostgresBindings()
        binds.append(handler)
        binds.append(now)
        binds.append(leaseUntil)
        binds.append(Int64(limit))
        let rows = try await relaxed.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH due AS (
                        SELECT d.id FROM deliveries d
                        WHERE d.handler = $1 AND \(due)
                          AND (d.order_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM deliveries p WHERE p.handler = d.handler AND p.order_key = d.order_key AND p.id < d.id
                              AND p.status IN ('pending', 'retrying', 'in_flight')))
                        ORDER BY \(expired ? "d.lease_until" : "d.next_attempt_at"), d.id
                        LIMIT $4
                        FOR UPDATE OF d SKIP LOCKED
                    )
                    UPDATE deliveries d SET status = 'in_flight', lease_until = $3, claim = nextval('delivery_claims'), updated_at = $2
                    FROM due, events e
                    WHERE d.id = due.id AND e.id = d.event_row
                    RETURNING d.id, d.claim, d.attempts, d.created_at, d.event_row, d.next_attempt_at, d.lease_until,
                      e.provider, e.event_id, e.event_type, e.body, e.headers, e.received_at
                    """, binds: binds))
        var jobs: [(due: Int64, job: DeliveryJob)] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let headers = StoredHeaders.decode(try cells["headers"].decode(String.self))
            let job = DeliveryJob(
                deliveryID: try cells["id"].decode(Int64.self), claim: try cells["claim"].decode(Int64.self), handler: handler,
                attempt: Int(try cells["attempts"].decode(Int32.self)) + 1, createdAt: try cells["created_at"].decode(Int64.self),
                eventRow: try cells["event_row"].decode(Int64.self),
                provider: Provider(rawValue: try cells["provider"].decode(String.self)) ?? .plaid,
                eventID: try cells["event_id"].decode(String.self), eventType: try cells["event_type"].decode(String.self),
                body: Array(try cells["body"].decode(ByteBuffer.self).readableBytesView), contentType: StoredHeaders.contentType(headers),
                receivedAt: try cells["received_at"].decode(Int64.self))
            jobs.append((try cells["next_attempt_at"].decode(Int64.self), job))
        }
        // RETURNING comes in no particular order: soonest due first, as claimed.
        return jobs.sorted { ($0.due, $0.job.deliveryID) < ($1.due, $1.job.deliveryID) }.map(\.job)
    }

    /// Extends the leases of claims still held, in one statement; returns how many.
    @discardableResult
    package func renewLeases(_ claims: [DeliveryClaim], until: Int64) async throws -> Int {
        guard !claims.isEmpty else { return 0 }
        let ids = claims.map(\.deliveryID)
        let tokens = claims.map(\.claim)
        let rows = try await relaxed.query(
            """
            WITH held (id, claim) AS (SELECT * FROM unnest(\(ids)::bigint[], \(tokens)::bigint[])),
            renewed AS (
                UPDATE deliveries d SET lease_until = \(until) FROM held
                WHERE d.id = held.id AND d.claim = held.claim AND d.status = 'in_flight'
                RETURNING 1
            ) SELECT count(*) FROM renewed
            """)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// Records attempts and moves their deliveries on, in one statement. A result whose
    /// claim is no longer held is recorded but moves nothing; a result for a delivery that
    /// retention deleted meanwhile is dropped.
    package func complete(_ results: [AttemptResult]) async throws {
        guard !results.isEmpty else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var statement = PostgresStatement(
            "WITH result (delivery_id, claim, number, started_at, duration_ms, succeeded, status_code, excerpt, status, next_at, last_error) AS (VALUES "
        )
        for (position, result) in results.enumerated() {
            let (status, next): (DeliveryStatus, Int64) =
                switch result.next {
                case .delivered: (.delivered, now)
                case .retry(let at): (.retrying, at)
                case .dead: (.dead, now)
                }
            let values = [
                statement.bind(result.deliveryID, as: "bigint"), statement.bind(result.claim, as: "bigint"),
                statement.bind(Int64(result.attempt), as: "integer"), statement.bind(result.startedAt, as: "bigint"),
                statement.bind(result.durationMilliseconds, as: "double precision"), statement.bind(result.succeeded, as: "boolean"),
                statement.bind(result.statusCode.map(Int64.init), as: "integer"), statement.bind(result.excerpt, as: "text"),
                statement.bind(status.rawValue, as: "text"), statement.bind(next, as: "bigint"),
                statement.bind(result.succeeded ? nil : result.excerpt, as: "text"),
            ]
            statement.append((position == 0 ? "(" : ", (") + values.joined(separator: ", ") + ")")
        }
        let stamp = statement.bind(now, as: "bigint")
        statement.append(
            """
            ), recorded AS (
                INSERT INTO attempts (delivery_id, number, started_at, duration_ms, succeeded, status_code, excerpt)
                SELECT r.delivery_id, r.number, r.started_at, r.duration_ms, r.succeeded, r.status_code, r.excerpt
                FROM result r WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = r.delivery_id)
            )
            UPDATE deliveries d SET status = r.status, attempts = r.number, next_attempt_at = r.next_at, updated_at = \(stamp),
              last_error = r.last_error, lease_until = NULL, claim = NULL
            FROM result r WHERE d.id = r.delivery_id AND d.status = 'in_flight' AND d.claim = r.claim
            """)
        try await relaxed.query(statement.query)
    }

    /// The earliest `next_attempt_at` of a waiting delivery (Unix ms), if any.
    package func nextDueTime() async throws -> Int64? {
        let rows = try await relaxed.query("SELECT min(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')")
        for try await due in rows.decode(Int64?.self) { return due }
        return nil
    }

    /// Makes the deliveries of event row `eventRow` (all, or `handler`'s) due now, whatever
    /// their state except in flight; every gate's dispatcher is woken. Returns how many.
    @discardableResult
    package func redeliver(eventRow: Int64, handler: String?) async throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await count(
            """
            WITH queued AS (
                UPDATE deliveries SET status = 'retrying', next_attempt_at = \(now), updated_at = \(now)
                WHERE event_row = \(eventRow) AND status <> 'in_flight' AND (\(handler)::text IS NULL OR handler = \(handler)::text)
                RETURNING 1
            ), woken AS (SELECT pg_notify('hookgate_outbox', '') FROM (SELECT 1 FROM queued LIMIT 1) q)
            SELECT (SELECT count(*) FROM queued) + 0 * (SELECT count(*) FROM woken)
            """)
    }

    /// Makes delivery `deliveryID` due now unless it is in flight.
    package func redeliver(deliveryID: Int64) async throws -> RedeliveryOutcome {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let rows = try await durable.query(
            """
            WITH queued AS (
                UPDATE deliveries SET status = 'retrying', next_attempt_at = \(now), updated_at = \(now)
                WHERE id = \(deliveryID) AND status <> 'in_flight'
                RETURNING 1
            ), woken AS (SELECT pg_notify('hookgate_outbox', '') FROM (SELECT 1 FROM queued LIMIT 1) q)
            SELECT (SELECT count(*) FROM queued) + 0 * (SELECT count(*) FROM woken), EXISTS (SELECT 1 FROM deliveries WHERE id = \(deliveryID))
            """)
        for try await (queued, exists) in rows.decode((Int64, Bool).self) {
            if queued > 0 { return .queued }
            return exists ? .inFlight : .notFound
        }
        return .notFound
    }

    /// Makes every dead delivery (of `handler`, if given) due now. Returns how many.
    @discardableResult
    package func redeliverDead(handler: String?) async throws -> Int {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await count(
            """
            WITH queued AS (
                UPDATE deliveries SET status = 'retrying', next_attempt_at = \(now), updated_at = \(now)
                WHERE status = 'dead' AND (\(handler)::text IS NULL OR handler = \(handler)::text)
                RETURNING 1
            ), woken AS (SELECT pg_notify('hookgate_outbox', '') FROM (SELECT 1 FROM queued LIMIT 1) q)
            SELECT (SELECT count(*) FROM queued) + 0 * (SELECT count(*) FROM woken)
            """)
    }

    /// Runs `query` (one row, one count) on the durable pool.
    private func count(_ query: PostgresQuery) async throws -> Int {
        for try await value in try await durable.query(query).decode(Int64.self) { return Int(value) }
        return 0
    }
}
