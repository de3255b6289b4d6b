import Foundation
import GRDB
import HookGateCore

/// The quarantine (``Quarantine``): refused webhooks kept bounded, oldest out first.
extension SQLiteEventStore {
    package func quarantine(_ requests: [RejectedRequest], maxBytes: Int64) async throws -> Int {
        guard !requests.isEmpty else { return 0 }
        let rows = requests.map { request in
            (request, StoredHeaders.encode(request.headers), request.bodySHA256, Int64(request.keptBytes))
        }
        // In the quarantine's own database, committed without waiting for fsync: a flood of
        // refused requests takes neither the events' writer nor the disk's sync rate.
        return try await quarantineWrite { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO rejected (provider, reason, received_at, client_ip, path, request_id, headers, body, body_sha256, kept_bytes)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var added: Int64 = 0
            for (request, headers, sha256, kept) in rows {
                try insert.execute(arguments: [
                    request.provider.rawValue, request.reason.rawValue, request.receivedAt, request.clientIP, request.path, request.requestID,
                    headers, Data(request.body), sha256, kept,
                ])
                added += kept
            }
            try db.execute(
                sql: "UPDATE quarantine_usage SET requests = requests + ?, bytes = bytes + ? WHERE id = 1", arguments: [rows.count, added])
            return try SQLiteEventStore.trimQuarantine(db, maxBytes: maxBytes)
        }
    }

    /// Deletes the oldest kept requests until the kept bytes are at most `maxBytes`; returns how many.
    /// One query finds where to cut among the oldest 4,096 (the running sum of their sizes), so a
    /// flood that trims every batch reads one row per trim, not the rows it deletes.
    static func trimQuarantine(_ db: Database, maxBytes: Int64) throws -> Int {
        var dropped = 0
        while let usage = try Row.fetchOne(db, sql: "SELECT bytes, requests FROM quarantine_usage WHERE id = 1"), usage[0] as Int64 > maxBytes {
            let bytes: Int64 = usage[0]
            let requests: Int64 = usage[1]
            let cut = try db.cachedStatement(
                sql: """
                    SELECT id, running, number FROM (
                        SELECT id, sum(kept_bytes) OVER (ORDER BY id) AS running, row_number() OVER (ORDER BY id) AS number
                        FROM (SELECT id, kept_bytes FROM rejected ORDER BY id LIMIT 4096)
                    ) WHERE running >= ? OR number = ? ORDER BY id LIMIT 1
                    """)
            guard let row = try Row.fetchOne(cut, arguments: [bytes - maxBytes, min(4096, requests)]) else {
                try db.execute(sql: "UPDATE quarantine_usage SET requests = 0, bytes = 0 WHERE id = 1")
                break
            }
            let through: Int64 = row[0]
            let removed: Int64 = row[1]
            let count: Int = row[2]
            try db.cachedStatement(sql: "DELETE FROM rejected WHERE id <= ?").execute(arguments: [through])
            try db.cachedStatement(sql: "UPDATE quarantine_usage SET requests = requests - ?, bytes = bytes - ? WHERE id = 1")
                .execute(arguments: [count, removed])
            dropped += count
        }
        return dropped
    }

    package func rejected(_ filter: RejectedFilter) async throws -> [RejectedRequest] {
        guard let quarantinePool else { return [] }
        return try await quarantinePool.read { db in
            var conditions = SQLConditions()
            conditions.add("provider = ?", filter.provider?.rawValue)
            conditions.add("reason = ?", filter.reason?.rawValue)
            conditions.add("received_at >= ?", filter.since)
            conditions.add("id < ?", filter.before)
            if filter.unrecoveredOnly { conditions.add("recovery IS NULL", values: []) }
            var arguments = conditions.arguments
            arguments += [filter.limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, provider, reason, received_at, client_ip, path, request_id, headers, recovery, X'' AS body
                    FROM rejected \(conditions.sql) ORDER BY id DESC LIMIT ?
                    """, arguments: arguments
            ).map(SQLiteEventStore.decodeRejected)
        }
    }

    package func quarantineRequest(id: Int64) async throws -> RejectedRequest? {
        guard let quarantinePool else { return nil }
        return try await quarantinePool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM rejected WHERE id = ?", arguments: [id]).map(SQLiteEventStore.decodeRejected)
        }
    }

    package func markRecovered(_ request: RejectedRequest) async throws {
        guard let recovery = request.recovery else { return }
        let recoveryJSON = String(decoding: try SnakeCaseJSON.encoder().encode(recovery), as: UTF8.self)
        let eventRecovery = request.eventRecovery?.json
        // The event first: a crash between the two leaves a request to recover again (a duplicate), never a mark without its event.
        if recovery.outcome == .accepted {
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE events SET recovered = ? WHERE provider = ? AND event_id = ?",
                    arguments: [eventRecovery, request.provider.rawValue, recovery.eventID])
            }
        }
        try await quarantineWrite { db in
            try db.execute(sql: "UPDATE rejected SET recovery = ? WHERE id = ?", arguments: [recoveryJSON, request.id])
        }
    }

    package func pruneRejected(receivedBefore cutoff: Int64) async throws -> Int {
        try await quarantineWrite { db in
            let gone = try Row.fetchOne(
                db, sql: "SELECT count(*) AS n, COALESCE(sum(kept_bytes), 0) AS bytes FROM rejected WHERE received_at < ?", arguments: [cutoff])
            let count: Int = gone?["n"] ?? 0
            guard count > 0 else { return 0 }
            let bytes: Int64 = gone?["bytes"] ?? 0
            try db.execute(sql: "DELETE FROM rejected WHERE received_at < ?", arguments: [cutoff])
            try db.execute(sql: "UPDATE quarantine_usage SET requests = requests - ?, bytes = bytes - ? WHERE id = 1", arguments: [count, bytes])
            return count
        }
    }

    package func quarantineUsage() async throws -> (requests: Int, bytes: Int64) {
        guard let quarantinePool else { return (0, 0) }
        return try await quarantinePool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT requests, bytes FROM quarantine_usage WHERE id = 1")
            return (row?["requests"] ?? 0, row?["bytes"] ?? 0)
        }
    }

    /// A write transaction in the quarantine's database.
    func quarantineWrite<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard let quarantinePool else { throw SQLiteStoreError("\(SQLiteEventStore.quarantinePath(for: path)) is not open for writing") }
        return try await quarantinePool.write(updates)
    }

    static func decodeRejected(_ row: Row) throws -> RejectedRequest {
        let body: Data = row["body"] ?? Data()
        let recovery: String? = row["recovery"]
        return RejectedRequest(
            id: row["id"], provider: Provider(rawValue: row["provider"]) ?? .plaid,
            reason: HookGateError.Code(rawValue: row["reason"]) ?? .badSignature, receivedAt: row["received_at"], clientIP: row["client_ip"],
            path: row["path"], requestID: row["request_id"], headers: StoredHeaders.decode(row["headers"]), body: Array(body),
            recovery: recovery.flatMap { try? SnakeCaseJSON.decoder().decode(RejectedRequest.Recovery.self, from: Data($0.utf8)) })
    }
}
