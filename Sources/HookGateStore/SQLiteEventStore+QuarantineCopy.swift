import Foundation
import GRDB
import HookGateCore

/// The quarantine's part of `hookgate store copy`: rejected requests read in id order and
/// written with their ids, so a run again (or after a stop) writes nothing twice. A source
/// from before the quarantine (no quarantine file) has none.
extension SQLiteEventStore {
    package func copyRejected(afterID: Int64, limit: Int) async throws -> [RejectedRequest] {
        guard let quarantinePool else { return [] }
        return try await quarantinePool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM rejected WHERE id > ? ORDER BY id LIMIT ?", arguments: [afterID, limit])
                .map(SQLiteEventStore.decodeRejected)
        }
    }

    package func copyRejectedCount(throughID: Int64) async throws -> Int {
        guard let quarantinePool else { return 0 }
        return try await quarantinePool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM rejected WHERE id <= ?", arguments: [throughID]) ?? 0
        }
    }

    package func importRejected(_ requests: [RejectedRequest]) async throws {
        guard !requests.isEmpty else { return }
        let rows = try requests.map { request in
            (request, StoredHeaders.encode(request.headers), try request.recovery.map { String(decoding: try SnakeCaseJSON.encoder().encode($0), as: UTF8.self) })
        }
        try await quarantineWrite { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO rejected (id, provider, reason, received_at, client_ip, path, request_id, headers, body, body_sha256, kept_bytes, recovery)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET recovery = excluded.recovery
                    """)
            for (request, headers, recovery) in rows {
                try insert.execute(arguments: [
                    request.id, request.provider.rawValue, request.reason.rawValue, request.receivedAt, request.clientIP, request.path,
                    request.requestID, headers, Data(request.body), request.bodySHA256, request.keptBytes, recovery,
                ])
            }
            try db.execute(
                sql: """
                    UPDATE quarantine_usage SET requests = (SELECT count(*) FROM rejected),
                    bytes = (SELECT COALESCE(sum(kept_bytes), 0) FROM rejected) WHERE id = 1
                    """)
        }
    }
}
