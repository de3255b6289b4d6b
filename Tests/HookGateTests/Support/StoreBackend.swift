import Foundation
import HookGateApp
import HookGateCore
import Testing

/// A backend the store contract suite runs against: each ``open()`` gives a fresh, empty
/// database. SQLite (a file in a temporary folder) now; PostgreSQL joins in its issue.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let open: @Sendable () async throws -> any GateStore

    var testDescription: String { name }

    /// The SQLite backend, opened the way the composition root opens it.
    static let sqlite = StoreBackend(name: "SQLite") {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var database = GateConfiguration.Database()
        database.path = directory.appendingPathComponent("hookgate.sqlite").path
        return try Gate.openStore(database, logger: .init(label: "hookgate-contract"))
    }

    /// Every backend the contract suite runs against.
    static let all: [StoreBackend] = [.sqlite]
}
