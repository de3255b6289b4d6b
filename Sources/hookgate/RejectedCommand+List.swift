import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate rejected list`.
extension RejectedCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the webhooks the gate refused and kept, newest first.")

        @OptionGroup var connection: AdminOptions

        @OptionGroup var filters: FilterOptions

        @Option(help: "At most this many.")
        var limit: Int = 50

        @Flag(help: "Print JSON (the admin API's shape: {\"rejected\": [...], \"next_before\": ...}).")
        var json = false

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        struct Listing: Encodable {
            var rejected: [RejectedSummary]
            var nextBefore: Int64?
        }

        func run() async throws {
            let found: (rejected: [RejectedSummary], more: Bool)
            do throws(AdminClient.Failure) {
                found = try await RejectedClient(admin: connection.client).list(filters.filter, limit: limit)
            } catch {
                throw error.command
            }
            if json {
                try RejectedCommand.printJSON(Listing(rejected: found.rejected, nextBefore: found.more ? found.rejected.last?.id : nil))
                return
            }
            print(RejectedReport.table(found.rejected, more: found.more))
        }
    }
}
