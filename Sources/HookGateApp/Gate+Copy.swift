import Foundation
import HookGateCore
import HookGatePostgres
import HookGateStore
import Logging

/// Opening the two sides of `hookgate store copy`, the backend each names.
extension Gate {
    /// Opens the store to copy from, read-only: a SQLite file that must exist (no checkpointer, no
    /// migration, every write refused), or a PostgreSQL database with HookGate's tables (sessions
    /// read-only, nothing migrated). A gate may go on running on it.
    /// - Throws: when the store is missing, is not a HookGate store, or cannot be reached.
    package static func openCopySource(_ database: GateConfiguration.Database, logger: Logger) async throws -> any StoreCopySource {
        if let url = database.url {
            return try await PostgresEventStore.open(url: url, durability: .normal, readOnly: true, logger: logger)
        }
        guard FileManager.default.fileExists(atPath: database.path) else { throw SQLiteStoreError("no database at \(database.path)") }
        return try SQLiteEventStore(path: database.path, durability: .normal, checkpointInterval: nil, readOnly: true, logger: logger)
    }

    /// Opens (creating and migrating, as a gate would) the store to copy into; commits are durable (`full`).
    /// - Throws: when the store cannot be opened, reached or migrated.
    package static func openCopyTarget(_ database: GateConfiguration.Database, logger: Logger) async throws -> any StoreCopyTarget {
        if let url = database.url {
            return try await PostgresEventStore.open(url: url, durability: .full, logger: logger)
        }
        return try SQLiteEventStore(path: database.path, durability: .full, checkpointInterval: nil, logger: logger)
    }
}
