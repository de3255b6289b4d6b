import Foundation
import HookGateApp
import HookGateCore
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
        try await Gate.openStore(try await settings(), logger: .init(label: "hookgate-contract")).startRunning()
    }

    /// `count` stores on one fresh database.
    func openShared(_ count: Int) async throws -> [any GateStore] {
        let database = try await settings()
        var stores: [any GateStore] = []
        for _ in 0..<count { stores.append(try await Gate.openStore(database, logger: .init(label: "hookgate-contract")).startRunning()) }
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
