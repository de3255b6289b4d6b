import ArgumentParser
import Foundation
import HookGateApp
import HookGateCore
import HookGateServer
import JOSE
import Logging

/// `hookgate serve`: runs the gate.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gate: public webhook listener and private admin listener.",
        discussion: """
            Without --config the gate runs on its embedded development defaults: 127.0.0.1:8080 (webhooks) and \
            127.0.0.1:9091 (admin), ./hookgate.sqlite, and all three providers verified against the development key \
            compiled in (Keys/dev.jwks.json). Never expose a gate on these defaults: the development key is public.
            SIGTERM or SIGINT stops it gracefully: no new connections, in-flight requests finish and commit, exit 0.
            Example configurations: config/hookgate.example.yaml and config/hookgate.postgres.example.yaml in the repository; \
            every key, default, flag and HOOKGATE_* variable: docs/configuration.md. `hookgate config print` shows the effective \
            configuration. Precedence: flag > environment (HOOKGATE_HOST, HOOKGATE_PORT, HOOKGATE_ADMIN_PORT, HOOKGATE_DATABASE, \
            HOOKGATE_DATABASE_URL) > file > default.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(
        help: ArgumentHelp(
            "Check the configuration and exit (0 valid, 1 invalid): key files, handler URLs, exec commands (exist, executable), "
                + "writable files and folders; every problem is listed."))
    var check = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line).")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : TextLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "hookgate")
        logger.logLevel = level

        let configuration: GateConfiguration
        do {
            configuration = try options.effectiveConfiguration()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("\(options.origin): \(error)\n".utf8))
            throw ExitCode(1)
        }
        if check {
            let problems = await ConfigurationCheck.problems(configuration)
            guard problems.isEmpty else {
                FileHandle.standardError.write(Data("\(options.origin): \(ConfigurationError(problems: problems))\n".utf8))
                throw ExitCode(1)
            }
            print(
                "\(options.origin): configuration is valid (\(configuration.providers.count) providers, \(configuration.handlers.count) handlers)"
            )
            return
        }
        if options.config == nil {
            logger.warning("running on the embedded development defaults: the development key is public, never expose this gate")
        }
        // The gate's key caches build fixed-key tables in the background; whatever ends this
        // command (a stop, a failed start), let a build under way finish (tens of ms) before
        // the process exits, or OpenSSL's exit handler frees what the build is using.
        defer { P256PublicKey.finishBackgroundTables() }
        let gate = try await Gate(configuration: configuration, logger: logger)
        let startLogger = logger
        let group = gate.makeServiceGroup { publicPort, adminPort in
            startLogger.notice(
                "hookgate listening",
                metadata: [
                    "public": "\(configuration.server.host):\(publicPort)", "admin": "\(configuration.admin.host):\(adminPort)",
                    "database": "\(configuration.database.url.map { "\($0)" } ?? configuration.database.path)",
                    "durability": "\(configuration.database.durability.rawValue)",
                    // FixedKeyVerifier's self-test ran at start-up; say which verify is in use.
                    "es256_verify": "\(FixedKeyVerifier.isAvailable ? "fixed-key tables" : "EVP (no fixed-key tables on this OpenSSL)")",
                ])
        }
        // The store is the group's first service: it closes when the group has stopped.
        do {
            try await group.run()
        } catch let error as ListenerError {
            throw CommandFailure(error.description)
        }
        logger.notice("hookgate stopped")
    }
}
