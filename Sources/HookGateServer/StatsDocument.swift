import Foundation
import HookGateCore

/// The `/stats` document (../shared/contract/README.md, plus labels saying which
/// figures count since start and which are totals from the database).
package struct StatsDocument: Codable, Sendable, Equatable {
    package struct ProviderFigures: Codable, Sendable, Equatable {
        package var received: Int
        package var accepted: Int
        package var duplicates: Int
        package var rejected: [String: Int]

        package init(received: Int, accepted: Int, duplicates: Int, rejected: [String: Int]) {
            self.received = received
            self.accepted = accepted
            self.duplicates = duplicates
            self.rejected = rejected
        }
    }

    package struct KeyFigures: Codable, Sendable, Equatable {
        package var cached: Int
        package var fetches: Int
        package var fetchFailures: Int
        package var negativeHits: Int
        package var rateLimited: Int
    }

    package struct Latency: Codable, Sendable, Equatable {
        package var window: Int
        package var p50: Double
        package var p90: Double
        package var p99: Double
        package var max: Double
    }

    package struct StoreFigures: Codable, Sendable, Equatable {
        package var events: Int
        package var bytes: Int64
    }

    package var version: String
    package var uptimeSeconds: Double
    /// Which sections count since this process started and which are database totals.
    package var scope: [String: String]
    package var providers: [String: ProviderFigures]
    package var keys: KeyFigures
    package var keysByProvider: [String: KeyFigures]
    /// Deliveries by state (`delivered` is written `succeeded`, as the contract names it).
    package var deliveries: DeliveryCounts
    package var intakeLatencyMs: Latency
    package var store: StoreFigures
    /// The quarantine's totals (database) and this gate's drops since start, by cause.
    package var quarantine: QuarantineFigures?
    /// What needs an operator now, e.g. "plaid: 96 % refused in the last hour (48 of 50); see GET /rejected".
    package var warnings: [String]?

    package struct QuarantineFigures: Codable, Sendable, Equatable {
        package var enabled: Bool
        package var requests: Int
        package var bytes: Int64
        package var maxBytes: Int64
        package var dropped: [String: Int]
    }

    static let scopeLabels = [
        "providers": "since_start", "keys": "since_start", "intake_latency_ms": "since_start (recent window)",
        "deliveries": "database_totals", "store": "database_totals", "quarantine": "database_totals (dropped: since_start)",
        "warnings": "last_hour",
    ]

    /// Decodes a `/stats` answer (the contract's snake_case names).
    package static func decode(_ data: Data) throws -> StatsDocument {
        try SnakeCaseJSON.decoder().decode(StatsDocument.self, from: data)
    }
}
