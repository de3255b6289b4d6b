import Foundation
import HookGateApp
import HookGateCore
import HookGatePostgres
import Testing

/// A backend the store contract suite runs against: each ``open()`` gives a fresh, empty
/// database; ``openShared(_:)`` gives several stores on one fresh database (as several gates).
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    /// Whether several gates share one database (then a gate cannot take back other gates' claims).
    let shared: Bool
    let settings: @Sendable () async throws -> GateConfiguration.Database

    var testDescription: String { name }

    /// A fresh, empty database, opened the way the composition root opens it, and running
    /// until `stopRunning()`.
    func open() async throws -> any GateStore {
        try await Self.openRunning(try await settings())
    }

    /// Opens `database` the way the composition root does, and runs it; PostgreSQL is
    /// migrated in that run (one pair of pools per store, as in the gate).
    static func openRunning(_ database: GateConfiguration.Database) async throws -> any GateStore {
        guard let url = database.url else { return try await Gate.openStore(database, logger: .init(label: "hookgate-contract")).startRunning() }
        let store = await PostgresEventStore.unopened(url: url, durability: database.durability, logger: .init(label: "hookgate-contract")).startRunning()
        do {
            try await store.prepare()
        } catch {
            await store.stopRunning()
            throw error
        }
        return store
    }

    /// `count` stores on one fresh database.
    func openShared(_ count: Int) async throws -> [any GateStore] {
        let database = try await settings()
        var stores: [any GateStore] = []
        for _ in 0..<count { stores.append(try await Self.openRunning(database)) }
        return stores
    }

    /// The SQLite backend: a file in a temporary folder.
    static let sqlite = StoreBackend(name: "SQLite", shared: false) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var database = GateConfiguration.Database()
        database.path = directory.appendingPathComponent("hookgate.sqlite").path
        return database
    }

    /// The PostgreSQL backend: a new database in the cluster `HOOKGATE_TEST_DATABASE_URL` names
    /// (the test command starts a throwaway one and sets it).
    static let postgres = StoreBackend(name: "PostgreSQL", shared: true) {
        var database = GateConfiguration.Database()
        database.url = try await TestPostgres.createDatabase()
        return database
    }

    /// Every backend the contract suite runs against: PostgreSQL whenever the test command
    /// provides a cluster (it always does; `swift test` alone runs SQLite only).
    static let all: [StoreBackend] = TestPostgres.available ? [.sqlite, .postgres] : [.sqlite]
}
