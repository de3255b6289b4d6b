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
        /// The environment variables read when no option names the database.
        static let urlVariable = "HOOKGATE_DATABASE_URL"
        static let pathVariable = "HOOKGATE_DATABASE"

        @Option(help: ArgumentHelp("The SQLite database file (env HOOKGATE_DATABASE).", valueName: "path"))
        var database: String?

        @Option(
            help: ArgumentHelp(
                "The PostgreSQL database (postgresql://user:password@host:port/database). Visible to ps: prefer --database-url-file "
                    + "or HOOKGATE_DATABASE_URL.", valueName: "url"))
        var databaseURL: String?

        @Option(help: ArgumentHelp("A file whose first line is the PostgreSQL URL (keep it mode 0600).", valueName: "file"))
        var databaseURLFile: String?

        @Option(help: ArgumentHelp("Take the database from this configuration file's database section (nothing else is read).", valueName: "file"))
        var config: String?

        func validate() throws {
            let given = [("--database", database), ("--database-url", databaseURL), ("--database-url-file", databaseURLFile)].filter { $0.1 != nil }
            if given.count > 1 { throw ValidationError("give one of \(given.map(\.0).joined(separator: ", ")), not several") }
        }

        /// The database these options name. Precedence, as for `serve`: an option, then
        /// HOOKGATE_DATABASE_URL or HOOKGATE_DATABASE, then --config's `database` section, then
        /// ./hookgate.sqlite.
        /// - Throws: `ValidationError` saying what is wrong and what to give instead.
        func databaseSettings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GateConfiguration.Database {
            var resolved = GateConfiguration.Database()
            func url(_ text: String, _ origin: String) throws -> DatabaseURL {
                do { return try DatabaseURL(text, path: origin) } catch { throw ValidationError("\(error.problems[0])") }
            }
            let urlFromEnvironment = environment[Self.urlVariable].flatMap { $0.isEmpty ? nil : $0 }
            let pathFromEnvironment = environment[Self.pathVariable].flatMap { $0.isEmpty ? nil : $0 }
            if let databaseURL {
                resolved.url = try url(databaseURL, "--database-url")
            } else if let databaseURLFile {
                let text = String(decoding: try readFile(databaseURLFile, what: "--database-url-file"), as: UTF8.self)
                let first = text.split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
                guard !first.isEmpty else { throw ValidationError("\(databaseURLFile) is empty; its first line must be the postgresql:// URL") }
                resolved.url = try url(first, databaseURLFile)
            } else if let database {
                resolved.path = database
            } else if let urlFromEnvironment {
                if pathFromEnvironment != nil { throw ValidationError("set \(Self.pathVariable) or \(Self.urlVariable), not both") }
                resolved.url = try url(urlFromEnvironment, Self.urlVariable)
            } else if let pathFromEnvironment {
                resolved.path = pathFromEnvironment
            } else if let config {
                do {
                    resolved = try ConfigurationLoader.loadDatabase(path: config, environment: environment)
                } catch {
                    let message =
                        error.code == .noSuchFile
                        ? "no such file \(config) (--config); give the gate's configuration file, or --database PATH"
                        : "\(config): \(error.problems.map(\.description).joined(separator: "; "))"
                    throw ValidationError(message)
                }
            }
            if resolved.url == nil, !FileManager.default.fileExists(atPath: resolved.path) {
                throw ValidationError(
                    "no database at \(resolved.path); give --database PATH, --config FILE or \(Self.urlVariable) "
                        + "(a gate creates its database when it first starts)")
            }
            return resolved
        }

        /// Opens the database, runs `body` on it while the store runs, and closes it.
        func withStore<T: Sendable>(_ body: (any GateStore) async throws -> T) async throws -> T {
            let settings = try databaseSettings()
            let store: any GateStore
            do {
                store = try await Gate.openStore(settings, existing: true, logger: Logger(label: "hookgate.store"))
            } catch {
                let name = settings.url.map { "\($0)" } ?? settings.path
                throw CommandFailure("cannot open the database \(name): \(error); check that it is reachable and holds HookGate's tables")
            }
            return try await store.withRunning { try await body(store) }
        }
    }
}

/// The one event `reference` names: a row id, an event id, or a unique prefix of an event id
/// (`sha256:82d67261`, `82d67261` for `sha256:…` ids, with or without the `…` a listing shows).
/// - Throws: ``CommandFailure`` when nothing matches; `ValidationError` listing the candidates
///   when several do.
func resolve(_ reference: String, provider: String?, store: any EventQueries) async throws -> StoredEvent {
    let provider = provider.flatMap(Provider.init)
    let exact = try await store.resolveEvents(reference, provider: provider)
    if exact.count == 1 { return exact[0] }
    if exact.count > 1 {
        throw ValidationError(
            "event id \(reference) exists for \(exact.map(\.provider.rawValue).joined(separator: " and ")); add --provider, or give the row id "
                + "(\(exact.map { String($0.id) }.joined(separator: ", ")))")
    }
    var prefix = reference
    for ellipsis in ["…", "..."] where prefix.hasSuffix(ellipsis) { prefix = String(prefix.dropLast(ellipsis.count)) }
    var matches: [StoredEvent] = []
    if !prefix.isEmpty {
        matches = try await store.events(eventIDPrefix: prefix, provider: provider, limit: 11)
        if matches.isEmpty, !prefix.contains(":") {
            matches = try await store.events(eventIDPrefix: "sha256:" + prefix, provider: provider, limit: 11)
        }
    }
    if matches.count == 1 { return matches[0] }
    if matches.isEmpty {
        throw CommandFailure("no event \(reference): no row id, event id or event id prefix matches; `hookgate events list` shows them")
    }
    let shown = matches.prefix(10).map { "\($0.id) \($0.provider.rawValue) \($0.eventID)" }.joined(separator: ", ")
    throw ValidationError(
        "event id prefix \(prefix) is ambiguous, it matches \(matches.count > 10 ? "more than 10" : String(matches.count)) events: \(shown)"
            + (matches.count > 10 ? ", …" : "") + "; give more characters or the row id")
}
