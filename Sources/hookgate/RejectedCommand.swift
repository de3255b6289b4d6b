import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate rejected`: the webhooks a running gate refused (its quarantine), and their
/// recovery once the configuration is fixed.
///
/// Talks to the gate's admin listener, as `hookgate stats` does, not to the database:
/// recovery verifies again with the running gate's keys and configuration, and stores and
/// fans out through it.
struct RejectedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejected", abstract: "List, show and recover the webhooks a running gate refused (its quarantine).",
        discussion: """
            The gate keeps every webhook it refused with 401, and with 400 malformed_body or missing_event_id (quarantine: in \
            the configuration). After fixing what made it refuse them (a rotated secret, a key URL, the clock) and restarting \
            the gate, `hookgate rejected recover` verifies them again with the gate's keys and configuration and stores and fans \
            out those that pass, with their original receipt time. These commands talk to the gate's admin listener (--admin, \
            --token or HOOKGATE_ADMIN_TOKEN).
            """,
        subcommands: [List.self, Show.self, Recover.self])

    /// The filter options of `list` and of the bulk `recover`, checked.
    struct FilterOptions: ParsableArguments {
        @Option(help: "Only this provider's refused webhooks.")
        var provider: String?

        @Option(help: ArgumentHelp("Only those refused with this code: \(RejectedCommand.reasons.joined(separator: ", ")).", valueName: "code"))
        var reason: String?

        @Option(help: ArgumentHelp("Only those received at or after this time: \(TimeArgument.accepted).", valueName: "time"))
        var since: String?

        func validate() throws {
            if let provider, Provider(rawValue: provider) == nil {
                throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)")
            }
            if let reason, !RejectedCommand.reasons.contains(reason) {
                throw ValidationError(
                    "--reason \(reason) is not kept in the quarantine; give one of \(RejectedCommand.reasons.joined(separator: ", "))")
            }
            if let since, TimeArgument.parse(since) == nil { throw ValidationError("--since takes \(TimeArgument.accepted); got \"\(since)\"") }
        }

        /// Whether any filter is given.
        var isEmpty: Bool { provider == nil && reason == nil && since == nil }

        /// The filter the admin API takes (`since` in Unix milliseconds).
        var filter: RejectedClient.Filter {
            let cutoff = since.flatMap { TimeArgument.parse($0) }.map { Int64($0.timeIntervalSince1970 * 1000) }
            return RejectedClient.Filter(provider: provider, reason: reason, since: cutoff)
        }
    }

    /// The refusal codes the quarantine keeps (every 401, and the 400s of a complete body).
    static let reasons = HookGateError.Code.allCases.filter(\.isQuarantined).map(\.rawValue)

    /// A rejected request's id given on the command line, or a usage error.
    static func id(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else {
            throw ValidationError("\(text) is not a rejected request's id (a positive whole number, as `hookgate rejected list` shows)")
        }
        return id
    }

    /// Writes `value` as the contract's pretty snake_case JSON.
    static func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try SnakeCaseJSON.encoder(pretty: true).encode(value), as: UTF8.self))
    }
}

extension AdminClient.Failure {
    /// The failure as the command's (exit status 1, `hookgate: <message>`).
    var command: CommandFailure { CommandFailure(description) }
}
