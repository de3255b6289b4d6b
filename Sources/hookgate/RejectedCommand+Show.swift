import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate rejected show`.
extension RejectedCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one refused webhook: why and when it was refused, its headers (credentials masked) and its body.")

        @OptionGroup var connection: AdminOptions

        @Argument(help: "The id `hookgate rejected list` shows.")
        var id: String

        @Flag(help: "Print JSON (the admin API's document).")
        var json = false

        func validate() throws {
            _ = try RejectedCommand.id(id)
        }

        func run() async throws {
            let number = try RejectedCommand.id(id)
            let document: RejectedDocument
            do throws(AdminClient.Failure) {
                document = try await RejectedClient(admin: connection.client).show(number)
            } catch {
                throw error.command
            }
            if json {
                try RejectedCommand.printJSON(document)
                return
            }
            print(RejectedReport.document(document))
        }
    }
}
