import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate rejected recover`.
extension RejectedCommand {
    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify refused webhooks again with the gate's current keys and configuration; store and fan out those that pass.",
            discussion: """
                Give one id, or filters for every matching webhook not recovered yet (oldest first), or --all. A recovered \
                webhook is stored with its original receipt time; one already stored (the sender retried) is a duplicate and \
                is not fanned out again. Exit status 1 when one is still refused.
                """)

        @OptionGroup var connection: AdminOptions

        @Argument(help: "The id `hookgate rejected list` shows; or leave it out and give filters or --all.")
        var id: String?

        @OptionGroup var filters: FilterOptions

        @Flag(help: "Recover every refused webhook not recovered yet (up to --limit), whatever its provider, reason or time.")
        var all = false

        @Flag(help: "Waive the freshness check (a token or timestamp too old, or too far ahead); never the signature or the body hash.")
        var ignoreAge = false

        @Option(help: "With filters or --all: examine at most this many (1 to 10000; the gate's default 1000).")
        var limit: Int?

        func validate() throws {
            if let id {
                _ = try RejectedCommand.id(id)
                if !filters.isEmpty || all || limit != nil {
                    throw ValidationError("give a rejected request's id, or filters (--provider, --reason, --since) or --all, not both")
                }
                return
            }
            if all && !filters.isEmpty {
                throw ValidationError("--all takes every refused webhook; leave out --provider, --reason and --since, or --all")
            }
            if !all && filters.isEmpty {
                throw ValidationError("give a rejected request's id, or at least one of --provider, --reason, --since (or --all for every one)")
            }
            if let limit, !(1...10_000).contains(limit) { throw ValidationError("--limit must be from 1 to 10000") }
        }

        func run() async throws {
            let client = RejectedClient(admin: connection.client)
            guard let id else {
                let tally: RecoveryTally
                do throws(AdminClient.Failure) {
                    tally = try await client.recover(filters.filter, ignoreAge: ignoreAge, limit: limit)
                } catch {
                    throw error.command
                }
                print(RejectedReport.tally(tally))
                if tally.examined == (limit ?? 1000) {
                    print("(as many as the limit lets one run examine; more may match: raise --limit, up to 10000)")
                }
                if !tally.refused.isEmpty { throw CommandFailure(Self.stillRefused(tally.refused.keys.sorted(), ignoreAge: ignoreAge)) }
                return
            }
            let number = try RejectedCommand.id(id)
            let outcome: RejectedClient.Outcome
            do throws(AdminClient.Failure) {
                outcome = try await client.recover(number, ignoreAge: ignoreAge)
            } catch {
                throw error.command
            }
            switch outcome {
            case .stored(let status, let eventID):
                print(RejectedReport.outcome(number, status: status, eventID: eventID))
            case .refused(let code):
                throw CommandFailure("rejected request \(number) \(Self.stillRefused([code], ignoreAge: ignoreAge))")
            }
        }

        /// "still refused: CODE" and what to do about it.
        static func stillRefused(_ codes: [String], ignoreAge: Bool) -> String {
            var message = "still refused: \(codes.joined(separator: ", "))"
            if !ignoreAge && codes.contains(where: { $0 == "stale_token" || $0 == "future_token" }) {
                message += "; a webhook refused for its age alone passes with --ignore-age"
            } else if codes.contains("provider_not_configured") {
                message += "; the gate has no such provider now: add it back under providers: and restart the gate"
            } else {
                message += "; fix the configuration (`hookgate rejected show ID` shows what was sent), restart the gate, and try again"
            }
            return message
        }
    }
}
