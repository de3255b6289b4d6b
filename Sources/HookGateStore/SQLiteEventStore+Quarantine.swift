import Foundation
import GRDB
import HookGateCore

/// The quarantine (``Quarantine``): refused webhooks kept bounded, oldest out first.
extension SQLiteEventStore {
    public func quarantine(_ requests: [RejectedRequest], maxBytes: Int64) async throws -> Int {
        guard !requests.isEmpty else { return 0 }
        let rows = requests.map { request in
            (request, StoredHeaders.encode(request.headers), request.bodySHA256, Int64(request.keptBytes))
        }
        // Refused requests acknowledged nobody: committed without waiting for fsync, so a
        // flood of them does not take the disk's sync rate from accepted events.
        return try await relaxedWrite { db in
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
    static func trimQuarantine(_ db: Database, maxBytes: Int64) throws -> Int {
        var dropped = 0
        while let bytes = try Int64.fetchOne(db, sql: "SELECT bytes FROM quarantine_usage WHERE id = 1"), bytes > maxBytes {
            var excess = bytes - maxBytes
            var through: Int64?
            var removed: Int64 = 0
            var count = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, kept_bytes FROM rejected ORDER BY id LIMIT 1000") {
                guard excess > 0 else { break }
                let kept: Int64 = row["kept_bytes"]
                through = row["id"]
                removed += kept
                excess -= kept
                count += 1
            }
            guard let through else {
                try db.execute(sql: "UPDATE quarantine_usage SET requests = 0, bytes = 0 WHERE id = 1")
                break
            }
            try db.execute(sql: "DELETE FROM rejected WHERE id <= ?", arguments: [through])
            try db.execute(
                sql: "UPDATE quarantine_usage SET requests = requests - ?, bytes = bytes - ? WHERE id = 1", arguments: [count, removed])
            dropped += count
        }
        return dropped
    }

    public func rejected(_ filter: RejectedFilter) async throws -> [RejectedRequest] {
        try await pool.read { db in
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

    public func quarantineRequest(id: Int64) async throws -> RejectedRequest? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM rejected WHERE id = ?", arguments: [id]).map(SQLiteEventStore.decodeRejected)
        }
    }

    public func markRecovered(_ request: RejectedRequest) async throws {
        guard let recovery = request.recovery else { return }
        let recoveryJSON = String(decoding: try SnakeCaseJSON.encoder().encode(recovery), as: UTF8.self)
        let eventRecovery = request.eventRecovery?.json
        try await pool.write { db in
            try db.execute(sql: "UPDATE rejected SET recovery = ? WHERE id = ?", arguments: [recoveryJSON, request.id])
            if recovery.outcome == .accepted {
                try db.execute(
                    sql: "UPDATE events SET recovered = ? WHERE provider = ? AND event_id = ?",
                    arguments: [eventRecovery, request.provider.rawValue, recovery.eventID])
            }
        }
    }

    public func pruneRejected(receivedBefore cutoff: Int64) async throws -> Int {
        try await relaxedWrite { db in
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

    public func quarantineUsage() async throws -> (requests: Int, bytes: Int64) {
        try await pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT requests, bytes FROM quarantine_usage WHERE id = 1")
            return (row?["requests"] ?? 0, row?["bytes"] ?? 0)
        }
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
