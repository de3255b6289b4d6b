import Foundation
import HookGateApp
import HookGateCore
import HookGateTools
import Testing

/// How the configuration `serve` runs on is made: relative paths against the file's folder,
/// the per-host overrides (flag > environment > file > default), the printed effective
/// configuration, and the examples shipped in config/.
@Suite struct EffectiveConfigurationTests {
    static func write(_ yaml: String, in directory: URL, name: String = "gate.yaml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(yaml.utf8).write(to: url)
        return url
    }

    @Test func theRepositoryExamplesAreTheContractsAndLoad() throws {
        let root = Signer.repositoryRoot
        for name in ["hookgate.example.yaml", "hookgate.postgres.example.yaml"] {
            let copy = try String(contentsOf: root.appendingPathComponent("config/\(name)"), encoding: .utf8)
            let shared = root.deletingLastPathComponent().appendingPathComponent("shared/contract/\(name)")
            if let original = try? String(contentsOf: shared, encoding: .utf8) { #expect(copy == original, "config/\(name) must be the contract's") }
            var environment = ConfigurationTests.contractEnvironment
            environment["HOOKGATE_ADMIN_TOKEN"] = "a-token-of-enough-length"
            environment["HOOKGATE_DB_PASSWORD"] = "pw"
            let configuration = try ConfigurationLoader.load(path: root.appendingPathComponent("config/\(name)").path, environment: environment)
            #expect(configuration.server.port == 8080)
            if configuration.database.url == nil {
                // Relative paths of the example resolve against config/.
                #expect(configuration.database.path == root.appendingPathComponent("config/hookgate.sqlite").standardizedFileURL.path)
            }
        }
    }

    @Test func relativePathsResolveAgainstTheConfigurationFilesFolder() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let nested = directory.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let file = try Self.write(
            """
            database:
              path: data/gate.sqlite
            providers:
              plaid:
                keys_file: ../keys/plaid.jwks.json
              ledgersync:
                verification: jwt
                keys_file: /abs/ledgersync.jwks.json
            handlers:
              - name: audit
                match: ["*"]
                file:
                  path: audit.jsonl
              - name: script
                match: ["*"]
                exec:
                  command: ["./bin/notify", "./not-a-program-argument"]
              - name: tool
                match: ["*"]
                exec:
                  command: ["logger", "-t", "hookgate"]

            """, in: nested)
        let configuration = try ConfigurationLoader.load(path: file.path, environment: [:])
        #expect(configuration.database.path == "\(nested.path)/data/gate.sqlite")
        guard case .jwt(_, .pinnedFile(let plaid), _) = configuration.settings(for: .plaid)?.verification,
            case .jwt(_, .pinnedFile(let ledgersync), _) = configuration.settings(for: .ledgersync)?.verification
        else {
            Issue.record("keys files are not pinned files")
            return
        }
        #expect(plaid == "\(directory.path)/keys/plaid.jwks.json" && ledgersync == "/abs/ledgersync.jwks.json")
        guard case .file(let audit, _) = configuration.handlers[0].kind, case .exec(let script, _) = configuration.handlers[1].kind,
            case .exec(let tool, _) = configuration.handlers[2].kind
        else {
            Issue.record("handler kinds changed")
            return
        }
        #expect(audit == "\(nested.path)/audit.jsonl")
        #expect(script == ["\(nested.path)/bin/notify", "./not-a-program-argument"])  // only the program is a path
        #expect(tool == ["logger", "-t", "hookgate"])  // looked up in PATH
        // Parsing text (no file) and the embedded defaults keep paths relative to the working directory.
        #expect(
            try ConfigurationLoader(environment: [:]).parse(yaml: "database:\n  path: x.sqlite\nproviders:\n  ledgersync:\n    verification: none\n")
                .database.path == "x.sqlite")
        #expect(GateConfiguration.embeddedDefaults.database.path == "hookgate.sqlite")
    }

    @Test func overridesTakeFlagThenEnvironmentThenFileThenDefault() throws {
        var file = GateConfiguration.embeddedDefaults
        file.server.port = 7000
        file.database.path = "/var/lib/hookgate/file.sqlite"
        let environment = try ConfigurationOverrides(environment: [
            "HOOKGATE_HOST": "0.0.0.0", "HOOKGATE_PORT": "7100", "HOOKGATE_ADMIN_PORT": "7101", "HOOKGATE_DATABASE_URL": "postgresql://g:pw@db/hooks",
        ])
        let flags = ConfigurationOverrides(port: 7200)
        let effective = try environment.overridden(by: flags).applied(to: file)
        #expect(effective.server.host == "0.0.0.0" && effective.server.port == 7200 && effective.admin.port == 7101)
        #expect(effective.database.url?.host == "db")
        #expect(effective.server.maxBodyBytes == 1_048_576)  // untouched: the default
        // A flag's SQLite file beats the environment's PostgreSQL URL.
        let sqlite = try environment.overridden(by: ConfigurationOverrides(databasePath: "here.sqlite")).applied(to: file)
        #expect(sqlite.database.url == nil && sqlite.database.path == "here.sqlite")
        // Nothing set: the file as it was.
        let unchanged = try ConfigurationOverrides(environment: ["HOOKGATE_PORT": ""]).applied(to: file)
        #expect(unchanged.server.port == 7000 && unchanged.database.path == "/var/lib/hookgate/file.sqlite")
        // An override that puts both listeners on one address is refused, naming it.
        #expect(throws: ConfigurationError.self) { try ConfigurationOverrides(port: 9091).applied(to: file) }
        do {
            _ = try ConfigurationOverrides(environment: [
                "HOOKGATE_DATABASE": "a.sqlite", "HOOKGATE_DATABASE_URL": "postgresql://g@db/h", "HOOKGATE_HOST": "a b",
            ])
            Issue.record("accepted both database variables")
        } catch {
            #expect(error.problems.map(\.path) == ["HOOKGATE_HOST", "HOOKGATE_DATABASE"])
        }
    }

    @Test func theEffectiveYAMLLoadsBackToTheSameConfiguration() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let file = try Self.write(
            """
            server:
              trusted_proxies: [10.0.0.1/32, ::1/128]
            providers:
              plaid:
                keys_file: plaid.jwks.json
                allowed_ips: [203.0.113.0/24]
              ledgersync:
                verification: none
            handlers:
              - name: it's
                match: ["plaid:TRANSACTIONS.*", "*"]
                order_key: item_id
                exec:
                  command: ["/bin/echo", "a: b"]
                  timeout: 2.5
            delivery:
              initial_backoff: 0.5

            """, in: directory)
        let configuration = try ConfigurationLoader.load(path: file.path, environment: [:])
        let printed = configuration.effectiveYAML()
        let again = try ConfigurationLoader(environment: [:]).parse(yaml: printed)
        #expect(again.effectiveYAML() == printed)
        #expect(printed.contains("  path: \(directory.path)/hookgate.sqlite\n"))
        #expect(printed.contains("    keys_file: \(directory.path)/plaid.jwks.json\n"))
        #expect(printed.contains("  initial_backoff: 0.5\n") && printed.contains("  max_backoff: 3600\n"))
        #expect(printed.contains("- name: 'it''s'") && printed.contains("command: [/bin/echo, 'a: b']"))
        // The embedded defaults print too; their keys have no file, which a comment says.
        #expect(GateConfiguration.embeddedDefaults.effectiveYAML().contains("# keys: embedded development keys (Keys/dev.jwks.json)"))
    }

    @Test func theDatabaseSectionLoadsWithoutTheOthersSecrets() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        let file = try Self.write(
            "admin:\n  token: ${NOT_SET}\ndatabase:\n  url: postgresql://gate:${DB_PASSWORD}@db/hooks\n  durability: normal\nproviders: {}\n",
            in: directory)
        let database = try ConfigurationLoader.loadDatabase(path: file.path, environment: ["DB_PASSWORD": "pw"])
        #expect(database.url?.password == "pw" && database.durability == .normal)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.loadDatabase(path: file.path, environment: [:]) }
        let sqlite = try Self.write("database:\n  path: store/gate.sqlite\n", in: directory, name: "sqlite.yaml")
        #expect(try ConfigurationLoader.loadDatabase(path: sqlite.path, environment: [:]).path == "\(directory.path)/store/gate.sqlite")
        let none = try Self.write("providers:\n  plaid: {}\n", in: directory, name: "none.yaml")
        #expect(try ConfigurationLoader.loadDatabase(path: none.path, environment: [:]).path == "\(directory.path)/hookgate.sqlite")
        do {
            _ = try ConfigurationLoader.loadDatabase(path: directory.appendingPathComponent("absent.yaml").path)
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.code == .noSuchFile && "\(error)" == "\(directory.path)/absent.yaml: no such file")
        }
    }

    @Test func timesForSinceAreDatesDateTimesUnixSecondsOrDurations() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(TimeArgument.parse("2026-12-06", now: now) == Date(timeIntervalSince1970: 1_796_515_200))
        #expect(TimeArgument.parse("2026-12-06T10:00:00Z", now: now) == Date(timeIntervalSince1970: 1_796_551_200))
        #expect(TimeArgument.parse("2026-12-06T10:00:00", now: now) == Date(timeIntervalSince1970: 1_796_551_200))
        #expect(TimeArgument.parse("2026-12-06T11:00:00+01:00", now: now) == Date(timeIntervalSince1970: 1_796_551_200))
        #expect(TimeArgument.parse("1796551200", now: now) == Date(timeIntervalSince1970: 1_796_551_200))
        #expect(TimeArgument.parse("2h", now: now) == now.addingTimeInterval(-7200))
        #expect(TimeArgument.parse("30m", now: now) == now.addingTimeInterval(-1800))
        #expect(TimeArgument.parse("7d", now: now) == now.addingTimeInterval(-604_800))
        #expect(TimeArgument.parse("90s", now: now) == now.addingTimeInterval(-90))
        for wrong in ["yesterday", "2h30", "-2h", "2026-13-01", "", "h"] { #expect(TimeArgument.parse(wrong, now: now) == nil, "\(wrong)") }
    }
}
