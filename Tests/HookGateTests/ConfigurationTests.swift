import Foundation
import HookGateCore
import Testing

@Suite struct ConfigurationTests {
    static let contractEnvironment = [
        "PLAID_CLIENT_ID": "id", "PLAID_SECRET": "s", "LINKMONEY_CLIENT_ID": "lid", "LINKMONEY_CLIENT_SECRET": "ls",
        "BACKEND_SIGNING_SECRET": "whsec_" + Data("0123456789abcdef0123456789abcdef".utf8).base64EncodedString(),
    ]

    static func contractYAML() throws -> String {
        let copy = try #require(Bundle.module.url(forResource: "hookgate.example", withExtension: "yaml", subdirectory: "Resources"))
        let text = try String(contentsOf: copy, encoding: .utf8)
        // When ../shared is beside the project, the copy must still be the contract, unchanged.
        let shared = Signer.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/contract/hookgate.example.yaml")
        if let original = try? String(contentsOf: shared, encoding: .utf8) { #expect(original == text) }
        return text
    }

    @Test func contractExampleLoadsUnchanged() throws {
        let configuration = try ConfigurationLoader(environment: Self.contractEnvironment).parse(yaml: try Self.contractYAML())
        #expect(configuration.server.port == 8080 && configuration.admin.port == 9091)
        #expect(configuration.server.maxBodyBytes == 1_048_576)
        #expect(configuration.server.trustedProxies.count == 2)
        #expect(configuration.database.durability == .full && configuration.database.retention == 604_800)
        #expect(configuration.providers.map(\.provider) == [.plaid, .linkmoney, .ledgersync])
        guard case .jwt(let header, .remote(let url, let credentials, _), 300) = configuration.settings(for: .plaid)!.verification else {
            Issue.record("plaid is not remote jwt")
            return
        }
        #expect(header == "Plaid-Verification")
        #expect(url == "https://sandbox.plaid.com/webhook_verification_key/get")
        #expect(credentials.map(\.0) == ["client_id", "secret"] && credentials.map(\.1) == ["id", "s"])
        guard
            case .jwt("Webhook-Verification", .pinnedFile("Keys/ledgersync.jwks.json"), 300) = configuration.settings(for: .ledgersync)!.verification
        else {
            Issue.record("ledgersync is not pinned jwt")
            return
        }
        #expect(configuration.handlers.map(\.name) == ["backend", "audit", "notify"])
        guard case .exec(let command, 30) = configuration.handlers[2].kind else {
            Issue.record("notify is not exec")
            return
        }
        #expect(command == ["/usr/local/bin/on-item-problem"])
    }

    @Test func postgresContractExampleLoadsWithItsURLAndLease() throws {
        let copy = try #require(Bundle.module.url(forResource: "hookgate.postgres.example", withExtension: "yaml", subdirectory: "Resources"))
        let yaml = try String(contentsOf: copy, encoding: .utf8)
        let shared = Signer.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/contract/hookgate.postgres.example.yaml")
        if let original = try? String(contentsOf: shared, encoding: .utf8) { #expect(original == yaml, "the copy must be the contract, unchanged") }
        var environment = Self.contractEnvironment
        environment["HOOKGATE_ADMIN_TOKEN"] = "a-token-of-enough-length"
        environment["HOOKGATE_DB_PASSWORD"] = "p@ss/word"
        let configuration = try ConfigurationLoader(environment: environment).parse(yaml: yaml)
        let url = try #require(configuration.database.url)
        #expect(url.user == "hookgate" && url.password == "p@ss/word" && url.host == "127.0.0.1" && url.port == 5432 && url.database == "hookgate")
        #expect(url.tls == .prefer && url.socketPath == nil)
        #expect(configuration.delivery.lease == 30 && configuration.database.durability == .full)
        // Logged and shown without the password.
        #expect("\(url)" == "postgresql://hookgate:***@127.0.0.1:5432/hookgate")
    }

    @Test func databaseURLsTakeSocketsTLSModesAndEncodedCredentials() throws {
        let socket = try DatabaseURL("postgres://gate:s%40cret@/hooks?host=/run/postgresql&sslmode=disable")
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432" && socket.host == nil && socket.password == "s@cret" && socket.tls == .disable)
        let tls = try DatabaseURL("postgresql://gate@db.internal:6543/hooks?sslmode=require")
        #expect(tls.host == "db.internal" && tls.port == 6543 && tls.password == nil && tls.tls == .require)
        #expect("\(tls)" == "postgresql://gate@db.internal:6543/hooks?sslmode=require")
        #expect(throws: ConfigurationError.self) { try DatabaseURL("postgresql://gate@/hooks") }
        #expect(GateConfiguration.embeddedDefaults.database.url == nil && GateConfiguration.embeddedDefaults.delivery.lease == 30)
    }

    @Test func missingEnvironmentVariableIsNamed() throws {
        var environment = Self.contractEnvironment
        environment["PLAID_SECRET"] = nil
        do {
            _ = try ConfigurationLoader(environment: environment).parse(yaml: try Self.contractYAML())
            Issue.record("loaded without PLAID_SECRET")
        } catch let error as ConfigurationError {
            #expect(error.problems.map(\.description) == ["providers.plaid.secret: environment variable PLAID_SECRET is not set"])
        }
    }

    @Test(arguments: [
        ("server:\n  port: eighty\nproviders:\n  ledgersync:\n    verification: none", "server.port: must be a whole number, got \"eighty\""),
        ("providers:\n  plaid:\n    max_age: 300", "providers.plaid.key_url: is required (or keys_file for pinned keys)"),
        ("providers:\n  ledgersync: {}", "providers.ledgersync.verification: is required: jwt, token, or none (none must be chosen explicitly)"),
        ("providers:\n  ledgersync:\n    verification: none\n    headr: X", "providers.ledgersync.headr: unknown key"),
        ("database:\n  retention: 86400\nproviders:\n  ledgersync:\n    verification: none", "database.retention: must exceed 3 days"),
        (
            "database:\n  durability: maybe\nproviders:\n  ledgersync:\n    verification: none",
            "database.durability: must be full or normal, got \"maybe\""
        ),
        (
            "server:\n  trusted_proxies: [10.0.0.0/33]\nproviders:\n  ledgersync:\n    verification: none",
            "server.trusted_proxies[0]: \"10.0.0.0/33\" is not an IP address or CIDR range"
        ),
        (
            "providers:\n  ledgersync:\n    verification: none\nhandlers:\n  - name: a\n    match: [\"plaid:*\"]",
            "handlers[0]: needs exactly one of http, file, exec (has none)"
        ),
        (
            "providers:\n  ledgersync:\n    verification: none\nhandlers:\n  - name: a\n    match: [\"bank:*\"]\n    file: {path: x}",
            "handlers[0].match[0]: \"bank:*\" names provider bank, which is not configured under providers:"
        ),
        (
            "providers:\n  ledgersync:\n    verification: token\n    token: short",
            "providers.ledgersync.token: verification: token needs a shared secret of at least 16 bytes"
        ),
        ("providers: [1, 2]", "providers: must be a mapping of provider names to their settings"),
        (
            "database:\n  path: a.sqlite\n  url: postgresql://u@h/d\nproviders:\n  ledgersync:\n    verification: none",
            "database: set either path (SQLite) or url (PostgreSQL), not both"
        ),
        ("database:\n  url: mysql://u@h/d\nproviders:\n  ledgersync:\n    verification: none", "database.url: must be a postgresql://"),
        ("database:\n  url: postgresql://h/d\nproviders:\n  ledgersync:\n    verification: none", "database.url: names no user"),
        ("database:\n  url: postgresql://u:pw@h\nproviders:\n  ledgersync:\n    verification: none", "database.url: names no database"),
        (
            "database:\n  url: postgresql://u@h/d?sslmode=verify-full\nproviders:\n  ledgersync:\n    verification: none",
            "database.url: sslmode must be disable, prefer or require"
        ),
        (
            "database:\n  url: postgresql://u@h/d?pool=3\nproviders:\n  ledgersync:\n    verification: none",
            "database.url: unknown parameter \"pool\""
        ),
        ("delivery:\n  lease: 1\nproviders:\n  ledgersync:\n    verification: none", "delivery.lease:"),
        ("server: [", "not valid YAML"),
    ])
    func badConfigurationsNameTheKey(yaml: String, expected: String) {
        do {
            _ = try ConfigurationLoader(environment: [:]).parse(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(expected), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func embeddedDefaultsServeAllThreeProvidersOnDevelopmentKeys() throws {
        let defaults = GateConfiguration.embeddedDefaults
        #expect(defaults.server.host == "127.0.0.1" && defaults.server.port == 8080 && defaults.admin.port == 9091)
        #expect(defaults.database.path == "hookgate.sqlite" && defaults.database.durability == .full)
        #expect(
            defaults.providers.map(\.path) == [
                "/webhooks/plaid", "/webhooks/linkmoney", "/webhooks/ledgersync", "/webhooks/stripe", "/webhooks/github", "/webhooks/shopify",
                "/webhooks/standard-webhooks",
            ])
        // The compiled-in development keys are the committed files, byte for byte.
        let root = Signer.repositoryRoot
        #expect(try String(contentsOf: root.appendingPathComponent("Keys/dev.jwks.json"), encoding: .utf8) == DevelopmentKeys.jwksJSON)
        #expect(try String(contentsOf: root.appendingPathComponent("Keys/dev-private.pem"), encoding: .utf8) == DevelopmentKeys.privateKeyPEM)
        let source = try PinnedKeySource(json: DevelopmentKeys.jwksJSON, origin: "dev")
        #expect(source.keySet.keys.map(\.keyID) == [DevelopmentKeys.keyID])
    }

    @Test func patternsCIDRsAndForwardedFor() throws {
        let pattern = try #require(EventPattern("plaid:TRANSACTIONS.*"))
        #expect(pattern.matches(provider: .plaid, type: "TRANSACTIONS.DEFAULT_UPDATE"))
        #expect(!pattern.matches(provider: .linkmoney, type: "TRANSACTIONS.DEFAULT_UPDATE"))
        #expect(!pattern.matches(provider: .plaid, type: "ITEM.ERROR"))
        #expect(try #require(EventPattern("*")).matches(provider: .ledgersync, type: "x"))
        #expect(try #require(EventPattern("ledgersync:accountAdded")).matches(provider: .ledgersync, type: "accountAdded"))
        #expect(try #require(EventPattern("*:ITEM.*")).matches(provider: .linkmoney, type: "ITEM.ERROR"))
        #expect(EventPattern("nope") == nil && EventPattern("Bank!:x") == nil && EventPattern("bank:") == nil)
        // Any provider name is a pattern; the loader refuses one that names no configured provider.
        #expect(try #require(EventPattern("stripe:payment_intent.*")).matches(provider: Provider(rawValue: "stripe")!, type: "payment_intent.succeeded"))

        let v4 = try #require(CIDR("10.0.0.0/8"))
        #expect(v4.contains(IPAddress("10.200.1.1")!) && !v4.contains(IPAddress("11.0.0.1")!))
        #expect(try #require(CIDR("::1/128")).contains(IPAddress("::1")!))
        #expect(v4.contains(IPAddress("::ffff:10.1.2.3")!))  // IPv4-mapped IPv6 folds to IPv4
        let resolver = ClientAddressResolver(trustedProxies: [CIDR("127.0.0.1/32")!, CIDR("10.0.0.0/8")!])
        let proxy = IPAddress("127.0.0.1")
        #expect(resolver.clientAddress(peer: proxy, forwardedFor: ["1.1.1.1, 10.0.0.5"])?.description == "1.1.1.1")
        #expect(resolver.clientAddress(peer: proxy, forwardedFor: ["9.9.9.9", "2.2.2.2, 10.0.0.5"])?.description == "2.2.2.2")
        #expect(resolver.clientAddress(peer: proxy, forwardedFor: ["garbage, 3.3.3.3"])?.description == "3.3.3.3")
        #expect(resolver.clientAddress(peer: IPAddress("8.8.8.8"), forwardedFor: ["1.1.1.1"])?.description == "8.8.8.8")
    }

    @Test func eventIdentityAndType() throws {
        let plaid = try EventClassifier.classify(provider: .plaid, body: Array(#"{"webhook_type":"ITEM","webhook_code":"ERROR"}"#.utf8))
        #expect(plaid.type == "ITEM.ERROR" && plaid.id.hasPrefix("sha256:") && plaid.id.count == 71)
        let ledger = try EventClassifier.classify(provider: .ledgersync, body: Array(#"{"eventType":"mfaUpdated","eventId":"  abc \t",}"#.utf8))
        #expect(ledger.id == "abc" && ledger.type == "mfaUpdated")
        #expect(throws: HookGateError(.malformedBody, "")) { try EventClassifier.classify(provider: .plaid, body: Array(#"{"a":1,}"#.utf8)) }
        #expect(throws: HookGateError(.malformedBody, "")) { try EventClassifier.classify(provider: .ledgersync, body: Array("[]".utf8)) }
        #expect(throws: HookGateError(.missingEventID, "")) {
            try EventClassifier.classify(provider: .ledgersync, body: Array(#"{"eventId":7}"#.utf8))
        }
    }
}
