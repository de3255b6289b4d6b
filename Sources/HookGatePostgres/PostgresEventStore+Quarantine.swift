import Foundation
import HookGateCore
import PostgresNIO

/// The quarantine (``Quarantine``), shared by every gate on the database: refused webhooks
/// kept bounded, oldest out first.
extension PostgresEventStore {
    package func quarantine(_ requests: [RejectedRequest], maxBytes: Int64) async throws -> Int {
        guard !requests.isEmpty else { return 0 }
        var statement = PostgresStatement(
            "INSERT INTO rejected (provider, reason, received_at, client_ip, path, request_id, headers, body, body_sha256, kept_bytes) VALUES ")
        var added: Int64 = 0
        for (index, request) in requests.enumerated() {
            let kept = Int64(request.keptBytes)
            added += kept
            let values = [
                statement.bind(request.provider.rawValue, as: "text"), statement.bind(request.reason.rawValue, as: "text"),
                statement.bind(request.receivedAt, as: "bigint"), statement.bind(request.clientIP, as: "text"),
                statement.bind(request.path, as: "text"), statement.bind(request.requestID, as: "text"),
                statement.bind(StoredHeaders.encode(request.headers), as: "text"), statement.bind(ByteBuffer(bytes: request.body), as: "bytea"),
                statement.bind(request.bodySHA256, as: "text"), statement.bind(kept, as: "bigint"),
            ]
            statement.append((index == 0 ? "(" : ", (") + values.joined(separator: ", ") + ")")
        }
        let count = Int64(requests.count)
        // Refused requests acknowledged nobody: the relaxed pool (no wait for the WAL flush).
        return try await relaxed.withTransaction(logger: logger) { connection in
            try await connection.query(statement.query, logger: logger)
            var bytes: Int64 = 0
            for try await total in try await connection.query(
                "UPDATE quarantine_usage SET requests = requests + \(count), bytes = bytes + \(added) WHERE id = 1 RETURNING bytes", logger: logger
            ).decode(Int64.self) {
                bytes = total
            }
            var dropped = 0
            while bytes > maxBytes {
                let excess = bytes - maxBytes
                var removed: (Int64, Int64) = (0, 0)
                for try await row in try await connection.query(
                    """
                    WITH oldest AS (
                        SELECT id, kept_bytes, sum(kept_bytes) OVER (ORDER BY id) AS running
                        FROM (SELECT id, kept_bytes FROM rejected ORDER BY id LIMIT 1000) s
                    ), gone AS (
                        DELETE FROM rejected WHERE id IN (SELECT id FROM oldest WHERE running - kept_bytes < \(excess)) RETURNING kept_bytes
                    ) SELECT count(*), COALESCE(sum(kept_bytes), 0)::bigint FROM gone
                    """, logger: logger
                ).decode((Int64, Int64).self) {
                    removed = row
                }
                guard removed.0 > 0 else {
                    try await connection.query("UPDATE quarantine_usage SET requests = 0, bytes = 0 WHERE id = 1", logger: logger)
                    break
                }
                try await connection.query(
                    "UPDATE quarantine_usage SET requests = requests - \(removed.0), bytes = bytes - \(removed.1) WHERE id = 1", logger: logger)
                bytes -= removed.1
                dropped += Int(removed.0)
            }
            return dropped
        }
    }

    package func rejected(_ filter: RejectedFilter) async throws -> [RejectedRequest] {
        var conditions = PostgresConditions()
        conditions.add("provider = ?", filter.provider?.rawValue, as: "text")
        conditions.add("reason = ?", filter.reason?.rawValue, as: "text")
        conditions.add("received_at >= ?", filter.since, as: "bigint")
        conditions.add("id < ?", filter.before, as: "bigint")
        if filter.unrecoveredOnly { conditions.add("recovery IS NULL", values: [], types: []) }
        var statement = conditions.statement(
            prefix: "SELECT id, provider, reason, received_at, client_ip, path, request_id, headers, recovery, ''::bytea AS body FROM rejected")
        let limit = statement.bind(Int64(filter.limit), as: "bigint")
        statement.append(" ORDER BY id DESC LIMIT \(limit)")
        var requests: [RejectedRequest] = []
        for try await row in try await relaxed.query(statement.query) {
            requests.append(try PostgresEventStore.decodeRejected(row.makeRandomAccess()))
        }
        return requests
    }

    package func quarantineRequest(id: Int64) async throws -> RejectedRequest? {
        for try await row in try await relaxed.query("SELECT * FROM rejected WHERE id = \(id)") {
            return try PostgresEventStore.decodeRejected(row.makeRandomAccess())
        }
        return nil
    }

    package func markRecovered(_ request: RejectedRequest) async throws {
        guard let recovery = request.recovery else { return }
        let recoveryJSON = String(decoding: try SnakeCaseJSON.encoder().encode(recovery), as: UTF8.self)
        let eventRecovery = request.eventRecovery?.json
        try await durable.withTransaction(logger: logger) { connection in
            try await connection.query("UPDATE rejected SET recovery = \(recoveryJSON) WHERE id = \(request.id)", logger: logger)
            if recovery.outcome == .accepted {
                try await connection.query(
                    "UPDATE events SET recovered = \(eventRecovery) WHERE provider = \(request.provider.rawValue) AND event_id = \(recovery.eventID)",
                    logger: logger)
            }
        }
    }

    package func pruneRejected(receivedBefore cutoff: Int64) async throws -> Int {
        try await relaxed.withTransaction(logger: logger) { connection in
            var removed: (Int64, Int64) = (0, 0)
            for try await row in try await connection.query(
                """
                WITH gone AS (DELETE FROM rejected WHERE received_at < \(cutoff) RETURNING kept_bytes)
                SELECT count(*), COALESCE(sum(kept_bytes), 0)::bigint FROM gone
                """, logger: logger
            ).decode((Int64, Int64).self) {
                removed = row
            }
            if removed.0 > 0 {
                try await connection.query(
                    "UPDATE quarantine_usage SET requests = requests - \(removed.0), bytes = bytes - \(removed.1) WHERE id = 1", logger: logger)
            }
            return Int(removed.0)
        }
    }

    package func quarantineUsage() async throws -> (requests: Int, bytes: Int64) {
        for try await (requests, bytes) in try await relaxed.query("SELECT requests, bytes FROM quarantine_usage WHERE id = 1").decode(
            (Int64, Int64).self)
        {
            return (Int(requests), bytes)
        }
        return (0, 0)
    }

    static func decodeRejected(_ row: PostgresRandomAccessRow) throws -> RejectedRequest {
        let body = try row["body"].decode(ByteBuffer.self)
        let recovery = try row["recovery"].decode(String?.self)
        return RejectedRequest(
            id: try row["id"].decode(Int64.self), provider: Provider(rawValue: try row["provider"].decode(String.self)) ?? .plaid,
            reason: HookGateError.Code(rawValue: try row["reason"].decode(String.self)) ?? .badSignature,
            receivedAt: try row["received_at"].decode(Int64.self), clientIP: try row["client_ip"].decode(String?.self),
            path: try row["path"].decode(String.self), requestID: try row["request_id"].decode(String.self),
            headers: StoredHeaders.decode(try row["headers"].decode(String.self)), body: Array(body.readableBytesView),
            recovery: recovery.flatMap { try? SnakeCaseJSON.decoder().decode(RejectedRequest.Recovery.self, from: Data($0.utf8)) })
    }
}
