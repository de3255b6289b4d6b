import ArgumentParser
import Foundation
import HookGateApp
import HookGateCore
import Logging

/// `hookgate events`: inspect stored events and their deliveries, redeliver.
///
/// Works on the database file directly, safely while a gate runs on it (SQLite WAL;
/// a running gate picks redeliveries up within a second).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Inspect stored events and their deliveries; redeliver.",
        subcommands: [List.self, Show.self, Redeliver.self, Export.self])

    struct DatabaseOptions: ParsableArguments {
        @Option(help: "The database file. Default: database.path of --config, else ./hookgate.sqlite.")
        var database: String?

        @Option(help: "Take the database path from this configuration file.")
        var config: String?

        func open() throws -> any GateStore {
            var path = database ?? "hookgate.sqlite"
            if database == nil, let config {
                do {
                    path = try ConfigurationLoader.load(path: config).database.path
                } catch {
                    throw ValidationError("\(config): \(error)")
                }
            }
            guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
            var database = GateConfiguration.Database()
            database.path = path
            return try Gate.openStore(database, logger: Logger(label: "hookgate.store"))
        }
    }
}

func resolve(_ reference: String, provider: String?, store: any EventQueries) async throws -> StoredEvent {
    let found = try await store.resolveEvents(reference, provider: provider.flatMap(Provider.init))
    if found.isEmpty {
        FileHandle.standardError.write(Data("no event \(reference)\n".utf8))
        throw ExitCode(1)
    }
    guard found.count == 1 else { throw ValidationError("event id \(reference) exists for several providers; add --provider") }
    return found[0]
}
