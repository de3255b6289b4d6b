import ArgumentParser
import Foundation
import HookGateCore

/// The options that choose the configuration `serve` runs on and `config print` shows: the
/// file, and the per-host overrides (flag > `HOOKGATE_*` environment > file > default).
struct ConfigurationOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The YAML configuration. Examples in the repository: config/hookgate.example.yaml (SQLite), "
                + "config/hookgate.postgres.example.yaml (PostgreSQL); every key: docs/configuration.md. "
                + "Relative paths in it are relative to its folder. Default: the embedded development defaults.",
            valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Listen for webhooks on this address (server.host; env HOOKGATE_HOST).", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Listen for webhooks on this port (server.port; env HOOKGATE_PORT).", valueName: "port"))
    var port: Int?

    @Option(
        name: .customLong("admin-port"), help: ArgumentHelp("The admin listener's port (admin.port; env HOOKGATE_ADMIN_PORT).", valueName: "port"))
    var adminPort: Int?

    @Option(
        help: ArgumentHelp(
            "The SQLite database file, relative to the working directory (database.path; env HOOKGATE_DATABASE). "
                + "For PostgreSQL set HOOKGATE_DATABASE_URL.", valueName: "path"))
    var database: String?

    func validate() throws {
        if let host, let problem = ConfigurationOverrides.hostProblem(host) { throw ValidationError("--host: \(problem)") }
        for (name, value) in [("--port", port), ("--admin-port", adminPort)] {
            if let value, !(0...65535).contains(value) { throw ValidationError("\(name) must be a port number from 0 to 65535, got \(value)") }
        }
        if let database, database.isEmpty { throw ValidationError("--database must name a file") }
    }

    /// What the configuration is called in messages: the file, or "embedded defaults".
    var origin: String { config ?? "embedded defaults" }

    /// The configuration the options name: the file (or the embedded defaults), then the
    /// environment's overrides, then the flags'.
    /// - Throws: `ValidationError` when `--config` names no readable file; ``CommandFailure``-style
    ///   ``ConfigurationError`` (code `invalid`) listing every problem of the file or the environment.
    func effectiveConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GateConfiguration {
        let file: GateConfiguration
        do {
            file = try config.map { try ConfigurationLoader.load(path: $0, environment: environment) } ?? .embeddedDefaults
        } catch let error as ConfigurationError where error.code == .noSuchFile {
            throw ValidationError(
                "no such file \(config ?? "") (--config); give the path of a YAML configuration (examples: config/ in the repository), "
                    + "or leave --config out to run on the embedded defaults")
        } catch let error as ConfigurationError where error.code == .unreadableFile {
            throw ValidationError("--config \(error.description); give a readable YAML file")
        }
        let flags = ConfigurationOverrides(host: host, port: port, adminPort: adminPort, databasePath: database)
        return try ConfigurationOverrides(environment: environment).overridden(by: flags).applied(to: file)
    }
}
