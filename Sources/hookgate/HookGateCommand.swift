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
        discussion: "Exit status: 0 success, 1 failed (rejected, invalid, unreachable), 2 usage error.",
        version: "\(version) (commit \(commit))",
        subcommands: [
            ServeCommand.self, ConfigCommand.self, VerifyCommand.self, SignCommand.self, KeysCommand.self, EventsCommand.self, StatsCommand.self,
            RejectedCommand.self, ReplayCommand.self, StoreCommand.self,
        ]
    )

    /// Exit statuses: 0 success, 1 rejected/failed (``CommandFailure``), 2 usage error
    /// (ArgumentParser's 64 is mapped to 2). A usage error raised while a subcommand runs
    /// shows that subcommand's usage, as one raised while parsing does.
    static func main() async {
        var parsed: (any ParsableCommand)?
        do {
            var command = try parseAsRoot()
            parsed = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let failure = error as? CommandFailure {
                FileHandle.standardError.write(Data("hookgate: \(failure.message)\n".utf8))
                Foundation.exit(1)
            }
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            var message = fullMessage(for: error)
            if let parsed, error is ValidationError, ObjectIdentifier(type(of: parsed)) != ObjectIdentifier(HookGateCommand.self) {
                message = usageErrorMessage(message: "\(error)", command: type(of: parsed))
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    /// ArgumentParser's usage-error text, with `command`'s usage instead of the root's.
    static func usageErrorMessage(message: String, command: any ParsableCommand.Type) -> String {
        let usage = usageString(for: command)
        let name = commandPath(of: command)
        return "Error: \(message)\nUsage: \(usage)\n  See '\(name) --help' for more information."
    }

    /// `hookgate events show` for ``EventsCommand/Show``: the names from the root down.
    static func commandPath(of command: any ParsableCommand.Type) -> String {
        func path(from node: any ParsableCommand.Type, trail: [String]) -> [String]? {
            let name = node.configuration.commandName ?? String(describing: node).lowercased()
            if ObjectIdentifier(node) == ObjectIdentifier(command) { return trail + [name] }
            for child in node.configuration.subcommands {
                if let found = path(from: child, trail: trail + [name]) { return found }
            }
            return nil
        }
        return path(from: HookGateCommand.self, trail: [])?.joined(separator: " ") ?? "hookgate"
    }
}

/// A command that ran and failed (exit status 1): `hookgate: <message>` on standard error,
/// one line that says what was wrong and what to do.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// How the user runs HookGate, for hints that show a command: `swift run hookgate` when the
/// binary lies in a SwiftPM build folder, else the program name as invoked (`hookgate`,
/// `./hookgate`, `/usr/bin/hookgate`).
var invokedCommand: String {
    let argument = CommandLine.arguments.first ?? "hookgate"
    if argument.contains("/.build/") || argument.hasPrefix(".build/") { return "swift run hookgate" }
    return argument.isEmpty ? "hookgate" : argument
}

/// Reads a whole file or fails with a usage error naming it and what is wrong.
func readFile(_ path: String, what: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("no such file \(path) (the \(what)); check the path")
    }
    guard !isDirectory.boolValue else { throw ValidationError("\(path) is a folder; give the \(what) file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read the \(what) \(path) (permissions?)")
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

/// A `--header "Name: value"` option as a pair, name and value trimmed; validated to hold a `:` before.
func headerPair(_ option: String) -> (String, String) {
    let colon = option.firstIndex(of: ":") ?? option.endIndex
    let value = colon < option.endIndex ? option[option.index(after: colon)...] : ""
    return (String(option[..<colon]).trimmingCharacters(in: .whitespaces), String(value).trimmingCharacters(in: .whitespaces))
}
