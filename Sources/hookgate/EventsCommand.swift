import ArgumentParser
import Foundation
import HookGateApp
import HookGateCore
import Logging

/// `hookgate events`: inspect stored events and their deliveries, redeliver.
///
/// Works on the database directly, safely while gates run on it (SQLite WAL, or PostgreSQL);
/// a running gate picks redeliveries up within a second.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Inspect stored events and their deliveries; redeliver.",
        subcommands: [List.self, Show.self, Redeliver.self, Export.self])

    struct DatabaseOptions: ParsableArguments {
        @Option(help: "The SQLite database file. Default: the database of --config, else ./hookgate.sqlite.")
        var database: String?

        @Option(help: ArgumentHelp("The PostgreSQL database (postgresql://user:password@host:port/database).", valueName: "url"))
        var databaseURL: String?

        @Option(help: "Take the database (path or url) from this configuration file.")
        var config: String?

        func validate() throws {
            if database != nil, databaseURL != nil { throw ValidationError("give --database or --database-url, not both") }
        }

        /// The database these options name.
        func databaseSettings() throws -> GateConfiguration.Database {
            var resolved = GateConfiguration.Database()
            if let databaseURL {
                do { resolved.url = try DatabaseURL(databaseURL, path: "--database-url") } catch { throw ValidationError("\(error.problems[0])") }
            } else if let database {
                resolved.path = database
            } else if let config {
                do {
                    resolved = try ConfigurationLoader.load(path: config).database
                } catch {
                    throw ValidationError("\(config): \(error)")
                }
            }
            if resolved.url == nil, !FileManager.default.fileExists(atPath: resolved.path) {
                throw ValidationError("no database at \(resolved.path)")
            }
            return resolved
        }

        /// Opens the database, runs `body` on it, and closes it.
        func withStore<T>(_ body: (any GateStore) async throws -> T) async throws -> T {
            let store = try await Gate.openStore(try databaseSettings(), existing: true, logger: Logger(label: "hookgate.store"))
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
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
