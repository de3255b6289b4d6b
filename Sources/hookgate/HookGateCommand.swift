import ArgumentParser
import CHookGateBuildInfo
import Foundation
import HookGateApp
import HookGateCore

/// `hookgate`: the webhook receiver and verification proxy.
@main
struct HookGateCommand: AsyncParsableCommand {
    static let version = Gate.version

    /// The git commit this binary was built from (fixed at build time, see Package.swift).
    static let commit = String(cString: hookgate_build_commit())

    static let configuration = CommandConfiguration(
        commandName: "hookgate",
        abstract: "Receive, verify, store and fan out Plaid, LinkMoney and LedgerSync webhooks.",
        version: "\(version) (commit \(commit))",
        subcommands: [
            ServeCommand.self, VerifyCommand.self, SignCommand.self, KeysCommand.self, EventsCommand.self, StatsCommand.self, ReplayCommand.self,
            StoreCommand.self,
        ]
    )

    /// Exit statuses: 0 success, 1 rejected/failed, 2 usage error (ArgumentParser's 64 is mapped to 2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Reads a whole file or fails with a usage error naming it.
func readFile(_ path: String, what: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(what) \(path)")
    }
    return data
}

/// The configuration at `path`, for a tool command (`sign`, `replay`): a problem is a usage error naming the file.
func loadConfiguration(_ path: String) throws -> GateConfiguration {
    do {
        return try ConfigurationLoader.load(path: path)
    } catch let error as ConfigurationError {
        throw ValidationError("\(path): \(error)")
    }
}
