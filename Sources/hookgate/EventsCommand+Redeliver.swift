import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate events redeliver`.
extension EventsCommand {
    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an event's deliveries (or every dead delivery) due now; a running gate sends them within a second.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "The row id, event id or unique event id prefix to redeliver.")
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
            try await options.withStore { store in
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
}
