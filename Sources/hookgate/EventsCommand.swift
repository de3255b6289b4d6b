import ArgumentParser
import Foundation
import HookGateApp
import HookGateCore
import HookGateServer
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

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, newest first, with each delivery's state.")

        @OptionGroup var options: DatabaseOptions

        @Option(help: "Only events with a delivery in this state.")
        var status: DeliveryStatus?

        @Option(help: "Only this provider's events: plaid, linkmoney or ledgersync.")
        var provider: String?

        @Option(help: "Only events with a delivery to this handler.")
        var handler: String?

        @Option(help: "At most this many events.")
        var limit: Int = 50

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider must be plaid, linkmoney or ledgersync") }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let store = try options.open()
            let events = try await store.eventSummaries(status: status, provider: provider.flatMap(Provider.init), handler: handler, limit: limit)
            if json {
                print(String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(["events": events]), as: UTF8.self))
                return
            }
            if events.isEmpty {
                print("no events")
                return
            }
            let rows = events.map { event -> [String] in
                let received = Date(timeIntervalSince1970: Double(event.receivedAt) / 1000).formatted(.iso8601)
                let deliveries = event.deliveries.map { "\($0.handler)=\($0.status)\($0.attempts > 0 ? "(\($0.attempts))" : "")" }.joined(separator: " ")
                return [String(event.id), received, event.provider, event.eventType, event.eventID, deliveries.isEmpty ? "-" : deliveries]
            }
            print(Table.render(header: ["ID", "RECEIVED", "PROVIDER", "TYPE", "EVENT ID", "DELIVERIES (attempts)"], rows: rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one event (row id or event id), its body and every delivery attempt.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "The row id shown by `events list`, or the event id.")
        var id: String

        @Option(help: "The provider, when an event id exists for several.")
        var provider: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let store = try options.open()
            let event = try await resolve(id, provider: provider, store: store)
            let detail = try await AdminEventRoutes.detail(event, store: store)
            if json {
                print(String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(detail), as: UTF8.self))
                return
            }
            print("event \(detail.id): \(detail.provider) \(detail.eventType) \(detail.eventId)")
            print("received:   \(Date(timeIntervalSince1970: Double(detail.receivedAt) / 1000).formatted(.iso8601)) from \(detail.clientIp ?? "-") (request \(detail.requestId))")
            print("body:       \(event.body.count) bytes, sha256 \(detail.bodySha256)")
            for delivery in detail.deliveries {
                let record = delivery.delivery
                print("delivery \(record.id) → \(record.handler): \(record.status), \(record.attempts) attempt(s)\(record.orderKey.map { ", order key \($0)" } ?? "")")
                for attempt in delivery.attempts {
                    let when = Date(timeIntervalSince1970: Double(attempt.startedAt) / 1000).formatted(.iso8601)
                    print("  #\(attempt.number) \(when) \(String(format: "%.1f", attempt.durationMilliseconds)) ms \(attempt.succeeded ? "ok" : "failed")"
                          + "\(attempt.statusCode.map { " [\($0)]" } ?? "") \(attempt.excerpt ?? "")")
                }
            }
            print("---")
            print(detail.body ?? "(binary body, base64) \(detail.bodyBase64 ?? "")")
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an event's deliveries (or every dead delivery) due now; a running gate sends them within a second.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "The row id or event id to redeliver.")
        var id: String?

        @Flag(help: "Redeliver every dead delivery instead.")
        var dead = false

        @Option(help: "Only this handler's deliveries.")
        var handler: String?

        @Option(help: "The provider, when an event id exists for several.")
        var provider: String?

        func validate() throws {
            if (id == nil) == !dead { throw ValidationError("give an event id, or --dead") }
        }

        func run() async throws {
            let store = try options.open()
            if dead {
                let count = try await store.redeliverDead(handler: handler)
                print("redelivering \(count) dead deliver\(count == 1 ? "y" : "ies")")
                return
            }
            let event = try await resolve(id!, provider: provider, store: store)
            let count = try await store.redeliver(eventRow: event.id, handler: handler)
            print("redelivering \(count) deliver\(count == 1 ? "y" : "ies") of event \(event.id)")
        }
    }
}

extension EventsCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write stored events as capture files (provider, original headers, received time, body byte for byte) that `hookgate replay` reads.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "Row ids or event ids to export.")
        var ids: [String] = []

        @Option(help: "Events received at or after this time: ISO 8601 (2026-11-21T10:00:00Z) or Unix seconds.")
        var since: String?

        @Option(help: "Only this provider's events.")
        var provider: String?

        @Option(help: "The folder to write into (created if missing; one subfolder per provider).")
        var out: String

        func validate() throws {
            if ids.isEmpty && since == nil && provider == nil { throw ValidationError("give event ids, --since or --provider") }
            if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider must be plaid, linkmoney or ledgersync") }
            if let since, Export.parseTime(since) == nil { throw ValidationError("--since must be ISO 8601 or Unix seconds") }
        }

        static func parseTime(_ text: String) -> Date? {
            if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
            return try? Date(text, strategy: .iso8601)
        }

        static func fileName(_ event: StoredEvent) -> String {
            let safe = String(event.eventID.unicodeScalars.map { scalar -> Character in
                let c = Character(scalar)
                return c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "_"
            }.prefix(80))
            return "\(event.id)-\(safe).capture.json"
        }

        func run() async throws {
            let store = try options.open()
            var events: [StoredEvent] = []
            for id in ids { events.append(try await resolve(id, provider: provider, store: store)) }
            if ids.isEmpty {
                let cutoff = since.flatMap(Export.parseTime).map { Int64($0.timeIntervalSince1970 * 1000) }
                events = try await store.events(provider: provider.flatMap(Provider.init), since: cutoff, limit: Int.max).reversed()
            }
            let manager = FileManager.default
            for event in events {
                let folder = (out as NSString).appendingPathComponent(event.provider.rawValue)
                try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let capture = CaptureFile(
                    provider: event.provider, eventID: event.eventID, eventType: event.eventType,
                    receivedAt: Date(timeIntervalSince1970: Double(event.receivedAt) / 1000), headers: event.headers, body: event.body)
                let path = (folder as NSString).appendingPathComponent(Export.fileName(event))
                guard manager.createFile(atPath: path, contents: try capture.encoded(), attributes: [.posixPermissions: 0o600]) else {
                    throw ValidationError("cannot write \(path)")
                }
            }
            print("exported \(events.count) event\(events.count == 1 ? "" : "s") to \(out)")
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

/// Plain-text tables for terminals and scripts (columns separated by two spaces).
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
