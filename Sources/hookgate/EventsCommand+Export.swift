import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate events export`.
extension EventsCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write stored events as capture files (provider, original headers, received time, body byte for byte) "
                + "that `hookgate replay` reads.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "Row ids, event ids or unique event id prefixes to export.")
        var ids: [String] = []

        @Option(help: ArgumentHelp("Events received at or after this time: \(TimeArgument.accepted).", valueName: "time"))
        var since: String?

        @Option(help: "Only this provider's events.")
        var provider: String?

        @Option(help: "The folder to write into (created if missing; one subfolder per provider).")
        var out: String

        func validate() throws {
            if ids.isEmpty && since == nil && provider == nil { throw ValidationError("give event ids, --since or --provider") }
            if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)") }
            if let since, TimeArgument.parse(since) == nil { throw ValidationError("--since takes \(TimeArgument.accepted); got \"\(since)\"") }
        }

        func run() async throws {
            try await options.withStore { store in
                var events: [StoredEvent] = []
                for id in ids { events.append(try await resolve(id, provider: provider, store: store)) }
                if ids.isEmpty {
                    let cutoff = since.flatMap { TimeArgument.parse($0) }.map { Int64($0.timeIntervalSince1970 * 1000) }
                    events = try await store.events(provider: provider.flatMap(Provider.init), since: cutoff, limit: Int.max).reversed()
                }
                do {
                    try EventExport.write(events, to: out)
                } catch let error as ToolError {
                    throw ValidationError(error.message)
                }
                print("exported \(events.count) event\(events.count == 1 ? "" : "s") to \(out)")
            }
        }
    }
}
