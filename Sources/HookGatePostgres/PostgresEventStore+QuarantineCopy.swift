import Foundation
import HookGateCore
import PostgresNIO

/// The quarantine's part of `hookgate store copy`: rejected requests read in id order and
/// written with their ids, so a run again (or after a stop) writes nothing twice.
extension PostgresEventStore {
    package func copyRejected(afterID: Int64, limit: Int) async throws -> [RejectedRequest] {
        guard try await hasQuarantine() else { return [] }
        var requests: [RejectedRequest] = []
        for try await row in try await relaxed.query("SELECT * FROM rejected WHERE id > \(afterID) ORDER BY id LIMIT \(Int64(limit))") {
            requests.append(try PostgresEventStore.decodeRejected(row.makeRandomAccess()))
        }
        return requests
    }

    package func copyRejectedCount(throughID: Int64) async throws -> Int {
        guard try await hasQuarantine() else { return 0 }
        for try await count in try await relaxed.query("SELECT count(*) FROM rejected WHERE id <= \(throughID)").decode(Int64.self) {
            return Int(count)
        }
        return 0
    }

    /// Whether the database has the quarantine's table (a source copied read-only is not migrated).
    private func hasQuarantine() async throws -> Bool {
        for try await exists in try await relaxed.query("SELECT to_regclass('rejected') IS NOT NULL").decode(Bool.self) { return exists }
        return false
    }

    package func importRejected(_ requests: [RejectedRequest]) async throws {
        guard !requests.isEmpty else { return }
        let logger = self.logger
        try await durable.withTransaction(logger: logger) { connection in
            for chunk in PostgresEventStore.chunks(requests.indices, binds: 12) {
                var statement = PostgresStatement(
                    "INSERT INTO rejected (id, provider, reason, received_at, client_ip, path, request_id, headers, body, body_sha256, kept_bytes, recovery) VALUES "
                )
                for (position, index) in chunk.enumerated() {
                    let request = requests[index]
                    let recovery = try request.recovery.map { String(decoding: try SnakeCaseJSON.encoder().encode($0), as: UTF8.self) }
                    let values = [
                        statement.bind(request.id, as: "bigint"), statement.bind(request.provider.rawValue, as: "text"),
                        statement.bind(request.reason.rawValue, as: "text"), statement.bind(request.receivedAt, as: "bigint"),
                        statement.bind(request.clientIP, as: "text"), statement.bind(request.path, as: "text"),
                        statement.bind(request.requestID, as: "text"), statement.bind(StoredHeaders.encode(request.headers), as: "text"),
                        statement.bind(ByteBuffer(bytes: request.body), as: "bytea"), statement.bind(request.bodySHA256, as: "text"),
                        statement.bind(Int64(request.keptBytes), as: "bigint"), statement.bind(recovery, as: "text"),
                    ]
                    statement.append((position == 0 ? "(" : ", (") + values.joined(separator: ", ") + ")")
                }
                statement.append(" ON CONFLICT (id) DO UPDATE SET recovery = excluded.recovery")
                try await connection.query(statement.query, logger: logger)
            }
            // Rows written with their ids: the sequence goes on after the highest.
            try await connection.query(
                "SELECT setval(pg_get_serial_sequence('rejected', 'id'), GREATEST((SELECT max(id) FROM rejected), 1))", logger: logger)
            try await connection.query(
                """
                UPDATE quarantine_usage SET requests = (SELECT count(*) FROM rejected),
                bytes = (SELECT COALESCE(sum(kept_bytes), 0) FROM rejected) WHERE id = 1
                """, logger: logger)
        }
    }
}
