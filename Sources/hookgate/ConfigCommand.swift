import ArgumentParser
import Foundation
import HookGateCore

/// `hookgate config`: the configuration as the gate sees it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the configuration the gate would run on.", subcommands: [Print.self])

    /// `hookgate config print`.
    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration as YAML: every default filled in, relative paths resolved, secrets masked.",
            discussion: """
                Takes the same configuration options as `serve` and applies the same HOOKGATE_* environment overrides, so it \\
                shows what `serve` with these options would run on. Secrets (admin.token, provider secrets and tokens, handler \\
                secrets, the database URL's password) are printed as '********'. Exit status: 0, or 1 when the configuration is \\
                invalid (the problems on standard error), 2 for a usage error.
                """)

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            do {
                print(try options.effectiveConfiguration().effectiveYAML(), terminator: "")
            } catch let error as ConfigurationError {
                FileHandle.standardError.write(Data("\(options.origin): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
