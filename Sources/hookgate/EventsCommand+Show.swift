import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate events show`.
extension EventsCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one event (row id or event id), its body and every delivery attempt.")

        @OptionGroup var options: DatabaseOptions

        @Argument(help: "The row id shown by `events list`, the event id, or a unique prefix of it.")
        var id: String

        @Option(help: "The provider, when an event id exists for several.")
        var provider: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await options.withStore { store in
                let event = try await resolve(id, provider: provider, store: store)
                let detail = try await store.document(of: event)
                if json {
                    print(String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(detail), as: UTF8.self))
                    return
                }
                print("event \(detail.id): \(detail.provider) \(detail.eventType) \(detail.eventId)")
                let received = Date(timeIntervalSince1970: Double(detail.receivedAt) / 1000).formatted(.iso8601)
                print("received:   \(received) from \(detail.clientIp ?? "-") (request \(detail.requestId))")
                print("body:       \(event.body.count) bytes, sha256 \(detail.bodySha256)")
                if let recovered = detail.recovered {
                    let when = Date(timeIntervalSince1970: Double(recovered.at) / 1000).formatted(.iso8601)
                    print("recovered:  \(when) from rejected request \(recovered.rejectedID) (refused \(recovered.reason)), via \(recovered.via)")
                }
                for delivery in detail.deliveries {
                    let record = delivery.delivery
                    let key = record.orderKey.map { ", order key \($0)" } ?? ""
                    print("delivery \(record.id) → \(record.handler): \(record.status), \(record.attempts) attempt(s)\(key)")
                    for attempt in delivery.attempts {
                        let when = Date(timeIntervalSince1970: Double(attempt.startedAt) / 1000).formatted(.iso8601)
                        let took = String(format: "%.1f", attempt.durationMilliseconds)
                        print(
                            "  #\(attempt.number) \(when) \(took) ms \(attempt.succeeded ? "ok" : "failed")"
                                + "\(attempt.statusCode.map { " [\($0)]" } ?? "") \(attempt.excerpt ?? "")")
                    }
                }
                print("---")
                print(detail.body ?? "(binary body, base64) \(detail.bodyBase64 ?? "")")
            }
        }
    }
}
