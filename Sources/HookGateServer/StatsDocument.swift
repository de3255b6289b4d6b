import Foundation
import HookGateCore

/// The `/stats` document (../shared/contract/README.md, plus labels saying which
/// figures count since start and which are totals from the database).
public struct StatsDocument: Codable, Sendable, Equatable {
    public struct ProviderFigures: Codable, Sendable, Equatable {
        public var received: Int
        public var accepted: Int
        public var duplicates: Int
        public var rejected: [String: Int]

        public init(received: Int, accepted: Int, duplicates: Int, rejected: [String: Int]) {
            self.received = received
            self.accepted = accepted
            self.duplicates = duplicates
            self.rejected = rejected
        }
    }

    public struct KeyFigures: Codable, Sendable, Equatable {
        public var cached: Int
        public var fetches: Int
        public var fetchFailures: Int
        public var negativeHits: Int
        public var rateLimited: Int
    }

    public struct Latency: Codable, Sendable, Equatable {
        public var window: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double
    }

    public struct StoreFigures: Codable, Sendable, Equatable {
        public var events: Int
        public var bytes: Int64
    }

    public var version: String
    public var uptimeSeconds: Double
    /// Which sections count since this process started and which are database totals.
    public var scope: [String: String]
    public var providers: [String: ProviderFigures]
    public var keys: KeyFigures
    public var keysByProvider: [String: KeyFigures]
    /// Deliveries by state (`delivered` is written `succeeded`, as the contract names it).
    public var deliveries: DeliveryCounts
    public var intakeLatencyMs: Latency
    public var store: StoreFigures
    /// The quarantine's totals (database) and this gate's drops since start, by cause.
    public var quarantine: QuarantineFigures?
    /// What needs an operator now, e.g. "plaid: 96 % refused in the last hour (48 of 50); see GET /rejected".
    public var warnings: [String]?

    public struct QuarantineFigures: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var requests: Int
        public var bytes: Int64
        public var maxBytes: Int64
        public var dropped: [String: Int]
    }

    static let scopeLabels = [
        "providers": "since_start", "keys": "since_start", "intake_latency_ms": "since_start (recent window)",
        "deliveries": "database_totals", "store": "database_totals", "quarantine": "database_totals (dropped: since_start)",
        "warnings": "last_hour",
    ]

    /// Decodes a `/stats` answer (the contract's snake_case names).
    public static func decode(_ data: Data) throws -> StatsDocument {
        try SnakeCaseJSON.decoder().decode(StatsDocument.self, from: data)
    }
}
