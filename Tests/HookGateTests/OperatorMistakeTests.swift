import Foundation
import HookGateApp
import HookGateCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each mistake an operator can make on the command line, run through the built `hookgate`
/// binary: the message says what was wrong and what to do, on one line, with the documented
/// exit status (0 ok, 1 failed, 2 usage), and a usage error shows the subcommand's usage.
@Suite struct OperatorMistakeTests {
    typealias Run = CommandLineTests.Run

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) async throws -> Run {
        try await CommandLineTests.run(arguments, in: directory, environment: environment)
    }

    /// The first line of standard error, and how many lines it has.
    static func firstLine(_ run: Run) -> String { run.error.split(separator: "\n").first.map(String.init) ?? "" }

    /// A SQLite database holding events with the ids given (LedgerSync ids are taken as they are).
    static func database(in directory: URL, ids: [(Provider, String)]) async throws -> String {
        var settings = GateConfiguration.Database()
        settings.path = directory.appendingPathComponent("events.sqlite").path
        let store = try await Gate.openStore(settings, logger: .init(label: "mistakes"))
        for (provider, id) in ids {
            _ = try await store.store(
                IncomingEvent(
                    provider: provider, eventID: id, eventType: "t", body: Array("{}".utf8), receivedAt: 1_700_000_000_000, headers: [],
                    clientIP: nil, requestID: "r", claims: nil, deliveries: []))
        }
        await store.stopRunning()
        return settings.path
    }

    @Test func aMissingConfigurationFileSaysNoSuchFileWithTheServeUsage() async throws {
        for arguments in [
            ["serve", "--config", "nope.yaml"], ["serve", "--check", "--config", "nope.yaml"], ["config", "print", "--config", "nope.yaml"],
        ] {
            let result = try await Self.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(Self.firstLine(result).hasPrefix("Error: no such file nope.yaml (--config); give the path of a YAML configuration"))
            #expect(!result.error.contains("invalid configuration"))
            let usage = arguments[0] == "serve" ? "Usage: hookgate serve " : "Usage: hookgate config print "
            #expect(result.error.contains(usage), "\(result.error)")
            #expect(result.error.contains("See '\(arguments[0] == "serve" ? "hookgate serve" : "hookgate config print") --help'"))
        }
        let events = try await Self.run(["events", "list", "--config", "nope.yaml"])
        #expect(events.status == 2 && Self.firstLine(events).hasPrefix("Error: no such file nope.yaml (--config)"))
        #expect(events.error.contains("Usage: hookgate events list "))
    }

    @Test func aUsageErrorRaisedWhileASubcommandRunsShowsThatSubcommandsUsage() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let result = try await Self.run(["events", "show", "1", "--database", dir.appendingPathComponent("none.sqlite").path])
        #expect(result.status == 2)
        #expect(Self.firstLine(result).hasPrefix("Error: no database at \(dir.path)/none.sqlite; give --database PATH"))
        #expect(result.error.contains("Usage: hookgate events show "))
        #expect(!result.error.contains("Usage: hookgate <subcommand>"))
    }

    @Test func verifyWithAPEMKeySaysItIsNotAJWK() async throws {
        let pem = Signer.repositoryRoot.appendingPathComponent("Keys/dev-private.pem").path
        let result = try await Self.run(["verify", "--key", pem, "a.b.c"])
        #expect(result.status == 2)
        #expect(
            Self.firstLine(result) == "Error: \(pem) is a PEM file, not a JWK or JWKS; --key takes public keys as JSON: "
                + "a JWK ({\"kty\":\"EC\",\"crv\":\"P-256\",...}) or a JWKS ({\"keys\":[...]}), "
                + "like the .jwks.json that `hookgate keys generate` writes"
        )
        #expect(!result.error.contains("invalid configuration"))
        #expect(result.error.contains("Usage: hookgate verify "))
        let dir = try CommandLineTests.temporaryDirectory()
        let text = dir.appendingPathComponent("notes.json")
        try Data(#"{"hello":1}"#.utf8).write(to: text)
        let other = try await Self.run(["verify", "--key", text.path, "a.b.c"])
        #expect(other.status == 2 && Self.firstLine(other).hasPrefix("Error: \(text.path) is not a usable JWK or JWKS ("))
        let missing = try await Self.run(["verify", "--key", "/nonexistent.jwks", "a.b.c"])
        #expect(missing.status == 2 && Self.firstLine(missing) == "Error: no such file /nonexistent.jwks (the key file); check the path")
    }

    @Test func sinceTakesDatesDateTimesAndDurations() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let database = try await Self.database(in: dir, ids: [(.ledgersync, "evt-1")])
        for since in ["2023-11-14", "2023-11-14T22:00:00Z", "2023-11-14T22:00:00", "1700000000", "2h", "30m", "7d"] {
            let list = try await Self.run(["events", "list", "--database", database, "--since", since])
            #expect(list.status == 0, "--since \(since): \(list.error)")
        }
        let old = try await Self.run(["events", "list", "--database", database, "--since", "2023-11-14"])
        #expect(old.output.contains("evt-1"))
        let recent = try await Self.run(["events", "list", "--database", database, "--since", "2h"])
        #expect(recent.output.contains("no events"))
        let export = try await Self.run([
            "events", "export", "--database", database, "--since", "2023-11-14", "--out", dir.appendingPathComponent("out").path,
        ])
        #expect(export.status == 0 && export.output.contains("exported 1 event"))
        let bad = try await Self.run(["events", "export", "--database", database, "--since", "yesterday", "--out", dir.path])
        #expect(bad.status == 2)
        #expect(Self.firstLine(bad).hasPrefix("Error: --since takes a date (2026-12-06, UTC midnight), a date-time"))
        #expect(Self.firstLine(bad).hasSuffix("got \"yesterday\""))
        #expect(bad.error.contains("Usage: hookgate events export "))
    }

    @Test func eventIDsAreTakenByUniquePrefixAndAnAmbiguousOneListsTheCandidates() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let a = "sha256:82d67261" + String(repeating: "a", count: 56)
        let b = "sha256:82d6ffff" + String(repeating: "b", count: 56)
        let database = try await Self.database(in: dir, ids: [(.plaid, a), (.plaid, b), (.ledgersync, "evt-1")])
        let byPrefix = try await Self.run(["events", "show", "sha256:82d67261", "--database", database])
        #expect(byPrefix.status == 0 && byPrefix.output.hasPrefix("event 1: plaid t \(a)"))
        let bare = try await Self.run(["events", "show", "82d6ff…", "--database", database])  // as `events list` shortens it
        #expect(bare.status == 0 && bare.output.hasPrefix("event 2: plaid t \(b)"))
        let ambiguous = try await Self.run(["events", "show", "82d6", "--database", database])
        #expect(ambiguous.status == 2)
        #expect(
            Self.firstLine(ambiguous)
                == "Error: event id prefix 82d6 is ambiguous, it matches 2 events: 2 plaid \(b), 1 plaid \(a); give more characters or the row id")
        let none = try await Self.run(["events", "redeliver", "zzz", "--database", database])
        #expect(none.status == 1)
        #expect(none.error == "hookgate: no event zzz: no row id, event id or event id prefix matches; `hookgate events list` shows them\n")
        let redeliver = try await Self.run(["events", "redeliver", "evt", "--database", database])
        #expect(redeliver.status == 0 && redeliver.output.contains("of event 3"))
        let export = try await Self.run(["events", "export", "82d672", "--database", database, "--out", dir.appendingPathComponent("x").path])
        #expect(export.status == 0 && export.output.contains("exported 1 event"))
    }

    @Test func eventsWithConfigReadOnlyTheDatabaseSection() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        _ = try await Self.database(in: dir, ids: [(.ledgersync, "evt-1")])
        let config = dir.appendingPathComponent("gate.yaml")
        // Every secret of the other sections is unset: events needs none of them.
        try Data(
            """
            admin:
              token: ${UNSET_ADMIN_TOKEN}
            database:
              path: events.sqlite
            providers:
              plaid:
                key_url: https://sandbox.plaid.com/webhook_verification_key/get
                client_id: ${UNSET_PLAID_CLIENT_ID}
                secret: ${UNSET_PLAID_SECRET}

            """.utf8
        ).write(to: config)
        // From another folder: database.path is relative to the configuration file.
        let list = try await Self.run(["events", "list", "--config", config.path], in: FileManager.default.temporaryDirectory)
        #expect(list.status == 0, "\(list.error)")
        #expect(list.output.contains("evt-1"))
        let serve = try await Self.run(["serve", "--check", "--config", config.path])
        #expect(serve.status == 1 && serve.error.contains("environment variable UNSET_PLAID_SECRET is not set"))
    }

    @Test func aDatabaseURLComesFromAFileOrTheEnvironmentAndItsPasswordIsNeverShown() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let file = dir.appendingPathComponent("url")
        try Data("postgresql://gate:hunter2@/hooks\n".utf8).write(to: file)
        let fromFile = try await Self.run(["events", "list", "--database-url-file", file.path])
        #expect(fromFile.status == 2)
        #expect(Self.firstLine(fromFile).hasPrefix("Error: \(file.path): names no host"))
        #expect(!fromFile.error.contains("hunter2"))
        let fromEnvironment = try await Self.run(["events", "list"], environment: ["HOOKGATE_DATABASE_URL": "mysql://gate:hunter2@db/hooks"])
        #expect(fromEnvironment.status == 2)
        #expect(Self.firstLine(fromEnvironment) == "Error: HOOKGATE_DATABASE_URL: must be a postgresql://user:password@host:port/database URL")
        #expect(!fromEnvironment.error.contains("hunter2"))
        let both = try await Self.run(["events", "list", "--database", "x.sqlite", "--database-url-file", file.path])
        #expect(both.status == 2 && Self.firstLine(both) == "Error: give one of --database, --database-url-file, not several")
        // HOOKGATE_DATABASE names the SQLite file the same way.
        let database = try await Self.database(in: dir, ids: [(.ledgersync, "evt-9")])
        let fromPath = try await Self.run(["events", "list"], environment: ["HOOKGATE_DATABASE": database])
        #expect(fromPath.status == 0 && fromPath.output.contains("evt-9"))
    }

    @Test func aPortInUseNamesTheListenerAndAddressOnce() async throws {
        let (fd, port) = try Self.listeningSocket()
        defer { close(fd) }
        let dir = try CommandLineTests.temporaryDirectory()
        let database = dir.appendingPathComponent("gate.sqlite").path
        let webhooks = try await Self.run(["serve", "--port", "\(port)", "--admin-port", "0", "--database", database])
        #expect(webhooks.status == 1)
        let expected = "hookgate: the webhooks listener cannot listen on 127.0.0.1:\(port): address already in use"
        #expect(webhooks.error.components(separatedBy: expected).count == 2, "\(webhooks.error)")
        #expect(webhooks.error.contains("choose another address (--host/--port, HOOKGATE_HOST/HOOKGATE_PORT or server.host/server.port)"))
        #expect(!webhooks.error.contains("CancellationError") && !webhooks.error.contains("errno"))
        let admin = try await Self.run(["serve", "--port", "0", "--database", database], environment: ["HOOKGATE_ADMIN_PORT": "\(port)"])
        #expect(admin.status == 1)
        #expect(admin.error.components(separatedBy: "the admin listener cannot listen on 127.0.0.1:\(port): address already in use").count == 2)
        #expect(!admin.error.contains("CancellationError"))
    }

    @Test func theReplayHintNamesTheCommandAsInvoked() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let link = dir.appendingPathComponent("hookgate")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: CommandLineTests.binary)
        let (fd, port) = try Self.listeningSocket()
        close(fd)  // nothing listens there now
        let fixture = Signer.repositoryRoot.appendingPathComponent("Fixtures/plaid/ITEM.ERROR.json").path
        // Waiting for the child blocks: on a thread of its own, never on the cooperative pool.
        let (status, output) = try await RawHTTP.onThread { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = link
            process.arguments = ["replay", "--to", "http://127.0.0.1:\(port)", fixture]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
        #expect(status == 1)
        #expect(output.contains("is the gate running (\(link.path) serve)?"), "\(output)")
        #expect(!output.contains("swift run"))
    }

    @Test func checkReportsEveryProblemAtOnce() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let script = dir.appendingPathComponent("notify.sh")
        try Data("#!/bin/sh\n".utf8).write(to: script)  // not executable
        let config = dir.appendingPathComponent("gate.yaml")
        try Data(
            """
            database:
              path: missing-folder/gate.sqlite
            providers:
              plaid:
                keys_file: keys/none.jwks.json
            handlers:
              - name: a
                match: ["*"]
                exec:
                  command: ["./notify.sh"]
              - name: b
                match: ["*"]
                exec:
                  command: ["no-such-program-hookgate"]
              - name: c
                match: ["*"]
                file:
                  path: /proc/hookgate-cannot/audit.jsonl
              - name: d
                match: ["*"]
                http:
                  url: http://127.0.0.1:99999/hooks

            """.utf8
        ).write(to: config)
        let result = try await Self.run(["serve", "--check", "--config", config.path])
        #expect(result.status == 1)
        let lines = result.error.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(config.path): invalid configuration:")
        #expect(lines.contains("  - providers.plaid.keys_file: \(dir.path)/keys/none.jwks.json: cannot read the keys file"))
        #expect(
            lines.contains("  - database.path: the folder \(dir.path)/missing-folder does not exist; create it (the gate creates files, not folders)")
        )
        #expect(lines.contains("  - handlers[0].exec.command[0]: \(dir.path)/notify.sh is not executable; chmod +x it"))
        #expect(lines.contains { $0.hasPrefix("  - handlers[1].exec.command[0]: no-such-program-hookgate: no executable of that name in PATH") })
        #expect(lines.contains { $0.hasPrefix("  - handlers[2].file.path: the folder /proc/hookgate-cannot does not exist") })
        #expect(lines.contains("  - handlers[3].http.url: \"http://127.0.0.1:99999/hooks\": port 99999 is out of range"))
        #expect(lines.count == 7)
    }

    @Test func configPrintShowsEveryDefaultAndMasksSecrets() async throws {
        let dir = try CommandLineTests.temporaryDirectory()
        let config = dir.appendingPathComponent("gate.yaml")
        try Data(
            """
            admin:
              token: ${T}
            database:
              url: postgresql://gate:${P}@db.internal/hooks
            providers:
              plaid:
                key_url: https://sandbox.plaid.com/webhook_verification_key/get
                client_id: client-1
                secret: ${S}
            handlers:
              - name: backend
                match: ["*"]
                http:
                  url: http://127.0.0.1:9000/hooks
                  secret: whsec_MDEyMzQ1Njc4OWFiY2RlZg==

            """.utf8
        ).write(to: config)
        let secrets = ["T": "admin-token-0123456789", "P": "db-password-42", "S": "plaid-secret-77"]
        let result = try await Self.run(
            ["config", "print", "--config", config.path, "--port", "8181"], environment: secrets.merging(["HOOKGATE_PORT": "8282"]) { $1 })
        #expect(result.status == 0, "\(result.error)")
        for secret in secrets.values + ["MDEyMzQ1Njc4OWFiY2RlZg"] { #expect(!result.output.contains(secret)) }
        #expect(result.output.contains("  port: 8181\n"))  // the flag beats the environment
        #expect(result.output.contains("  token: '********'\n") && result.output.contains("    secret: '********'\n"))
        #expect(result.output.contains("      secret: '********'\n") && result.output.contains("    client_id: client-1\n"))
        #expect(result.output.contains("  url: 'postgresql://gate:***@db.internal:5432/hooks'\n"))
        for key in [
            "max_body_bytes: 1048576", "read_timeout: 10", "max_connections: 4096", "retention: 604800", "cooldown: 60", "lease: 30",
            "timeout: 10", "concurrency: 64", "give_up_after: 259200", "key_timeout: 5", "max_age: 300",
        ] {
            #expect(result.output.contains(key), "\(key)")
        }
        let invalid = try await Self.run(["config", "print", "--config", config.path])
        #expect(invalid.status == 1 && invalid.error.contains("environment variable T is not set"))
    }

    @Test func environmentOverridesThatAreWrongAreNamed() async throws {
        let result = try await Self.run(
            ["serve", "--check"], environment: ["HOOKGATE_PORT": "80a", "HOOKGATE_DATABASE_URL": "postgresql://u:pw@/x"])
        #expect(result.status == 1)
        #expect(result.error.contains("HOOKGATE_PORT: must be a port number from 0 to 65535, got \"80a\""))
        #expect(result.error.contains("HOOKGATE_DATABASE_URL: names no host") && !result.error.contains(":pw@"))
        let flag = try await Self.run(["serve", "--port", "70000"])
        #expect(flag.status == 2 && Self.firstLine(flag) == "Error: --port must be a port number from 0 to 65535, got 70000")
    }

    /// A loopback TCP socket listening on a free port.
    static func listeningSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4) == 0 else { throw RawHTTP.Failure(description: "cannot listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
