import Foundation
import HookGateApp
import HookGateCore
import HookGateServer
import JOSE
import Logging
import ServiceLifecycle

/// A gate running on loopback (ports chosen by the OS) with a temporary database,
/// configured from YAML exactly as an operator would write it.
final class GateHarness: Sendable {
    let gate: Gate
    let group: ServiceGroup
    let publicPort: Int
    let adminPort: Int
    let directory: URL
    private let task: Task<Void, any Error>

    /// Writes `yaml` (with `DIR` replaced by the temp folder) and starts a gate on it.
    /// The `server`/`admin` ports are forced to 0 and the database into the temp folder
    /// unless the YAML sets `database:` itself.
    /// `clock` is the dispatcher's and retention's time (a ``SkippingClock`` to skip their waits).
    init(yaml: String, directory: URL? = nil, environment: [String: String] = [:], clock: any GateClock = WallClock()) async throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.directory = dir
        let text = yaml.replacingOccurrences(of: "DIR", with: dir.path)
        var configuration =
            yaml == GateHarness.embedded ? GateConfiguration.embeddedDefaults : try ConfigurationLoader(environment: environment).parse(yaml: text)
        configuration.server.port = 0
        configuration.admin.port = 0
        if !text.contains("database:") { configuration.database.path = dir.appendingPathComponent("hookgate.sqlite").path }
        var logger = Logger(label: "hookgate-test")
        logger.logLevel = ProcessInfo.processInfo.environment["HOOKGATE_TEST_LOG"] == nil ? .critical : .debug
        gate = try await Gate(configuration: configuration, logger: logger, clock: clock)
        let (stream, continuation) = AsyncStream.makeStream(of: (Int, Int).self)
        group = gate.makeServiceGroup(gracefulShutdownSignals: []) { publicPort, adminPort in
            continuation.yield((publicPort, adminPort))
            continuation.finish()
        }
        let group = self.group
        task = Task { try await group.run() }
        var iterator = stream.makeAsyncIterator()
        guard let ports = await iterator.next() else { throw RawHTTP.Failure(description: "gate did not start") }
        (publicPort, adminPort) = ports
    }

    /// Pass as `yaml` to run on the embedded defaults (ports and database moved to the test's own).
    static let embedded = "<embedded defaults>"

    /// Graceful shutdown, waiting until every service stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// POSTs a webhook to the public listener.
    func post(_ path: String, body: [UInt8], headers: [(String, String)] = []) async throws -> RawHTTP.Response {
        try await RawHTTP.request(port: publicPort, path: path, headers: headers, body: body)
    }

    /// Sends a request (GET by default) to an admin path.
    func admin(_ path: String, method: String = "GET", headers: [(String, String)] = []) async throws -> RawHTTP.Response {
        try await RawHTTP.request(port: adminPort, method: method, path: path, headers: headers)
    }
}

/// Tokens and bodies for tests.
enum Signer {
    static let devKey = try! P256PrivateKey(pem: DevelopmentKeys.privateKeyPEM)

    /// A Plaid-style token from the one signer HookGate has (``WebhookSigner``); with `alg`,
    /// re-signed under a header whose `alg` is forced (the signer always writes ES256).
    static func token(
        body: [UInt8], key: P256PrivateKey = devKey, kid: String? = DevelopmentKeys.keyID, iat: Int64 = Int64(Date().timeIntervalSince1970),
        alg: String? = nil, extraHeader: [(String, JSONValue)] = [], claims: [(String, JSONValue)]? = nil
    ) throws -> String {
        let signer = WebhookSigner(key: key, keyID: kid)
        let token = try signer.token(body: body, issuedAt: iat, extraHeader: extraHeader, claims: claims)
        guard let alg else { return token }
        let parts = token.split(separator: ".")
        var forced = signer.header(extra: extraHeader)
        forced.insert(("alg", .string(alg)), at: 0)
        let headerPart = Base64URL.encode(Array(JSONValue.object(forced).compactText.utf8))
        let input = headerPart + "." + parts[1]
        return input + "." + Base64URL.encode(try key.signature(for: Array(input.utf8)))
    }

    static func fixture(_ relative: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(relative)
        return Array(try Data(contentsOf: url))
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A unique Plaid-shaped body, 2-space indented as Plaid sends it.
    static func plaidBody(_ n: Int = Int.random(in: 0..<Int.max)) -> [UInt8] {
        Array(
            """
            {
              "webhook_type": "TRANSACTIONS",
              "webhook_code": "DEFAULT_UPDATE",
              "item_id": "item-\(n)",
              "new_transactions": 3,
              "environment": "sandbox"
            }
            """.utf8)
    }
}

/// The YAML of a gate with all three providers pinned to the development keys.
enum TestConfig {
    static let devKeys = Signer.repositoryRoot.appendingPathComponent("Keys/dev.jwks.json").path

    static func pinned(extraLedgerSync: String = "verification: jwt\n    keys_file: \(devKeys)", server: String = "") -> String {
        """
        server:
          host: 127.0.0.1
          port: 0
          max_body_bytes: 4096
          read_timeout: 3
        \(server)
        admin:
          host: 127.0.0.1
          port: 0
        providers:
          plaid:
            path: /webhooks/plaid
            keys_file: \(devKeys)
            max_age: 300
          linkmoney:
            path: /webhooks/linkmoney
            keys_file: \(devKeys)
          ledgersync:
            path: /webhooks/ledgersync
            \(extraLedgerSync)
        """
    }
}
