import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate events list`.
extension EventsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, newest first, with each delivery's state.")

        @OptionGroup var options: DatabaseOptions

        @Option(help: "Only events with a delivery in this state.")
        var status: DeliveryStatus?

        @Option(help: "Only this provider's events: plaid, linkmoney or ledgersync.")
        var provider: String?

        @Option(help: "Only events with a delivery to this handler.")
        var handler: String?

        @Option(help: ArgumentHelp("Only events received at or after this time: \(TimeArgument.accepted).", valueName: "time"))
        var since: String?

        @Option(help: "At most this many events.")
        var limit: Int = 50

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)") }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let since, TimeArgument.parse(since) == nil { throw ValidationError("--since takes \(TimeArgument.accepted); got \"\(since)\"") }
        }

        func run() async throws {
            try await options.withStore { store in
                let cutoff = since.flatMap { TimeArgument.parse($0) }.map { Int64($0.timeIntervalSince1970 * 1000) }
                let events = try await store.eventSummaries(
                    status: status, provider: provider.flatMap(Provider.init), handler: handler, since: cutoff, limit: limit)
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
                    let deliveries = event.deliveries.map { "\($0.handler)=\($0.status)\($0.attempts > 0 ? "(\($0.attempts))" : "")" }
                        .joined(separator: " ")
                    return [String(event.id), received, event.provider, event.eventType, event.eventID, deliveries.isEmpty ? "-" : deliveries]
                }
                print(TextTable.render(header: ["ID", "RECEIVED", "PROVIDER", "TYPE", "EVENT ID", "DELIVERIES (attempts)"], rows: rows))
            }
        }
    }
}
