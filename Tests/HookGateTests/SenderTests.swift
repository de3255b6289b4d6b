import Foundation
import HookGateCore
import HookGateTools
import JOSE
import Testing

/// The shared-secret senders: configuration, signature schemes against published vectors,
/// identities, and the development signer round trip. The independent end-to-end check
/// (each sender's own library against a running gate, both stores) is Tests/Suites/senders.py.
@Suite struct SenderTests {
    static let environment = [
        "STRIPE_WEBHOOK_SECRET": "whsec_test_secret", "GITHUB_WEBHOOK_SECRET": "It's a Secret to Everybody",
        "SHOPIFY_WEBHOOK_SECRET": "shpss_secret", "ACME_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "PARTNER_WEBHOOK_SECRET": "partner-secret",
    ]

    static func sourcesYAML() throws -> String {
        let copy = try #require(Bundle.module.url(forResource: "hookgate.sources.example", withExtension: "yaml", subdirectory: "Resources"))
        let text = try String(contentsOf: copy, encoding: .utf8)
        let shared = Signer.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/contract/hookgate.sources.example.yaml")
        if let original = try? String(contentsOf: shared, encoding: .utf8) { #expect(original == text) }
        return text
    }

    static func configuration() throws -> GateConfiguration {
        try ConfigurationLoader(environment: environment).parse(yaml: try sourcesYAML())
    }

    static func scheme(_ name: String) throws -> (GateConfiguration.ProviderSettings, SignatureScheme) {
        let settings = try #require(try configuration().settings(for: Provider(rawValue: name)!))
        guard case .signature(let scheme) = settings.verification else { throw ToolFailure("\(name) is not a signature scheme") }
        return (settings, scheme)
    }

    struct ToolFailure: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    @Test func sourcesExampleLoadsWithEveryKind() throws {
        let configuration = try Self.configuration()
        #expect(configuration.providers.map(\.provider.rawValue) == ["stripe", "github", "shopify", "acme", "partner"])
        #expect(configuration.providers.map(\.kind) == [.stripe, .github, .shopify, .standardWebhooks, .hmac])
        #expect(configuration.providers.map(\.path) == ["/webhooks/stripe", "/webhooks/github", "/webhooks/shopify", "/webhooks/acme", "/webhooks/partner"])
        let partner = try #require(configuration.settings(for: Provider(rawValue: "partner")!))
        guard case .signature(let scheme) = partner.verification else { throw ToolFailure("partner") }
        #expect(scheme.format == .hmac(header: "X-Partner-Signature", algorithm: .sha256, encoding: .hex, prefix: "sha256="))
        #expect(partner.identity.id == .json(JSONPointer("/id")!, integers: true))
        #expect(partner.identity.type == .json(JSONPointer("/type")!, fallback: ""))
        #expect(configuration.handlers.map(\.name) == ["payments", "code"])
        // The three built-in names still imply their kind; the embedded defaults add a development sender of each kind.
        #expect(GateConfiguration.embeddedDefaults.providers.map(\.kind) == [.plaid, .linkmoney, .ledgersync, .stripe, .github, .shopify, .standardWebhooks])
        #expect(GateConfiguration.embeddedDefaults.providers.map(\.provider.rawValue).suffix(4) == ["stripe", "github", "shopify", "standard-webhooks"])
    }

    @Test(arguments: [
        ("ACME_WEBHOOK_SECRET", "whsec_not base64!", "providers.acme.secrets[0]: a whsec_ secret must be whsec_ followed by the base64 of the key"),
        ("ACME_WEBHOOK_SECRET", "whpk_AAAA", "providers.acme.secrets[0]: a whpk_ key must be whpk_ followed by the base64 of a 32-byte Ed25519"),
        ("ACME_WEBHOOK_SECRET", "plain", "providers.acme.secrets[0]: a Standard Webhooks secret starts with whsec_ (HMAC) or whpk_"),
        ("STRIPE_WEBHOOK_SECRET", "", "providers.stripe.secrets[0]: is empty"),
    ])
    func badSecretsNameTheKeyAndNeverTheSecret(variable: String, value: String, expected: String) throws {
        var environment = Self.environment
        environment[variable] = value
        do {
            _ = try ConfigurationLoader(environment: environment).parse(yaml: try Self.sourcesYAML())
            Issue.record("accepted \(variable)=\(value)")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(expected), "\(error)")
            if value.count > 4 { #expect(!error.description.contains(value)) }
        }
    }

    @Test(arguments: [
        ("providers:\n  bank:\n    secrets: [x]", "providers.bank.kind: is required for a provider not named plaid, linkmoney or ledgersync"),
        ("providers:\n  bank:\n    kind: paypal\n    secrets: [x]", "providers.bank.kind: must be one of plaid, linkmoney, ledgersync, stripe"),
        ("providers:\n  plaid:\n    kind: stripe\n    secrets: [x]", "providers.plaid.kind: the name plaid is its own kind (plaid)"),
        ("providers:\n  Bank:\n    kind: github\n    secrets: [x]", "providers.Bank: a provider name is 1 to 64 characters"),
        ("providers:\n  gh:\n    kind: github", "providers.gh.secrets: is required"),
        ("providers:\n  gh:\n    kind: github\n    secrets: []", "providers.gh.secrets: must name at least one secret"),
        ("providers:\n  gh:\n    kind: github\n    secrets: x", "providers.gh.secrets: must be a list of secrets"),
        ("providers:\n  gh:\n    kind: github\n    secrets: [x]\n    max_age: 5", "providers.gh.max_age: unknown key"),
        ("providers:\n  p:\n    kind: hmac\n    secrets: [x]", "providers.p.header: is required"),
        ("providers:\n  p:\n    kind: hmac\n    header: X-S\n    algorithm: md5\n    secrets: [x]", "providers.p.algorithm: must be sha256 or sha512"),
        ("providers:\n  p:\n    kind: hmac\n    header: X-S\n    encoding: hexa\n    secrets: [x]", "providers.p.encoding: must be hex or base64"),
        ("providers:\n  p:\n    kind: hmac\n    header: X-S\n    secrets: [x]\n    event_id: {json: id}", "providers.p.event_id.json: \"id\" is not a JSON Pointer"),
        ("providers:\n  p:\n    kind: hmac\n    header: X-S\n    secrets: [x]\n    event_id: uuid", "providers.p.event_id: must be body_sha256"),
        ("providers:\n  a:\n    kind: github\n    secrets: [x]\n  b:\n    kind: github\n    path: /webhooks/a\n    secrets: [y]",
         "providers.b.path: /webhooks/a is already the path of a"),
    ])
    func badSenderConfigurationsNameTheKey(yaml: String, expected: String) {
        do {
            _ = try ConfigurationLoader(environment: [:]).parse(yaml: yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    /// GitHub's documented example ("Validating webhook deliveries").
    @Test func githubDocumentedVector() throws {
        let (_, scheme) = try Self.scheme("github")
        let body = Array("Hello, World!".utf8)
        let good = RequestHeaders([("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")])
        try SignatureVerifier.verify(scheme, headers: good, body: body, now: 0)
        #expect(throws: HookGateError(.badSignature, "")) { try SignatureVerifier.verify(scheme, headers: good, body: body + [0x20], now: 0) }
        #expect(throws: HookGateError(.missingSignature, "")) {
            try SignatureVerifier.verify(scheme, headers: RequestHeaders([("X-Hub-Signature-256", "757107ea")]), body: body, now: 0)
        }
    }

    /// The Standard Webhooks / Svix documented example (secret, msg id, timestamp, payload, v1 signature).
    @Test func standardWebhooksDocumentedVectorAndSvixNames() throws {
        let (_, scheme) = try Self.scheme("acme")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        for prefix in ["webhook", "svix"] {
            let headers = RequestHeaders([("\(prefix)-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("\(prefix)-timestamp", "1614265330"), ("\(prefix)-signature", "v1,bm90IGl0 " + signature)])
            try SignatureVerifier.verify(scheme, headers: headers, body: body, now: 1_614_265_330 + 300)
            #expect(throws: HookGateError(.staleToken, "")) { try SignatureVerifier.verify(scheme, headers: headers, body: body, now: 1_614_265_330 + 301) }
            #expect(throws: HookGateError(.futureToken, "")) { try SignatureVerifier.verify(scheme, headers: headers, body: body, now: 1_614_265_330 - 301) }
            #expect(throws: HookGateError(.badSignature, "")) { try SignatureVerifier.verify(scheme, headers: headers, body: body + [0x20], now: 1_614_265_330) }
        }
    }

    /// At most ``SignatureVerifier/maxSignatures`` signatures of a version are read: a header cannot
    /// make one request cost many Ed25519 verifies.
    @Test func signaturesBeyondTheCapAreIgnored() throws {
        let (_, scheme) = try Self.scheme("acme")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let valid = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        func headers(bogus: Int) -> RequestHeaders {
            let list = Array(repeating: "v1,bm90IGl0", count: bogus) + [valid]
            return RequestHeaders([
                ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"), ("webhook-timestamp", "1614265330"), ("webhook-signature", list.joined(separator: " ")),
            ])
        }
        try SignatureVerifier.verify(scheme, headers: headers(bogus: SignatureVerifier.maxSignatures - 1), body: body, now: 1_614_265_330)
        #expect(throws: HookGateError(.badSignature, "")) {
            try SignatureVerifier.verify(scheme, headers: headers(bogus: SignatureVerifier.maxSignatures), body: body, now: 1_614_265_330)
        }
    }

    /// RFC 8032 §7.1 test 1 (the empty message) through the v1a scheme's key and OpenSSL's Ed25519.
    @Test func ed25519RFC8032Vector() throws {
        let key = try Ed25519PublicKey(rawRepresentation: Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")!)
        let signature = Hex.decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")!
        #expect(key.isValidSignature(signature, for: []))
        var flipped = signature
        flipped[0] ^= 1
        #expect(!key.isValidSignature(flipped, for: []))
        #expect(!key.isValidSignature(signature, for: [0]))
        let seed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!
        let privateKey = try Ed25519PrivateKey(seed: seed)
        #expect(privateKey.publicKeyBytes == key.rawRepresentation)
        #expect(try privateKey.signature(for: []) == signature)
        #expect(throws: JOSEError(.invalidKey, "")) { try Ed25519PublicKey(rawRepresentation: [1, 2, 3]) }
    }

    /// A Stripe signature computed by the `stripe` package (`WebhookSignature._compute_signature`).
    @Test func stripeVectorSeveralV1AndRotation() throws {
        let (settings, scheme) = try Self.scheme("stripe")
        let body = Array(#"{"id":"evt_1","type":"charge.refunded"}"#.utf8)
        let v1 = "dc62f163b81075f9676067863ea6e530a962a5c5c37aacb8344e80a78f8a484e"
        let header = "t=1614265330,v1=\(String(repeating: "0", count: 64)),v1=\(v1),v0=abc"
        try SignatureVerifier.verify(scheme, headers: RequestHeaders([("stripe-signature", header)]), body: body, now: 1_614_265_330)
        #expect(throws: HookGateError(.staleToken, "")) {
            try SignatureVerifier.verify(scheme, headers: RequestHeaders([("Stripe-Signature", header)]), body: body, now: 1_614_265_631)
        }
        for broken in ["", "t=1614265330", "v1=\(v1)", "t=x,v1=\(v1)", "t=1614265330,v1=zz"] {
            #expect(throws: HookGateError(.missingSignature, ""), "\(broken)") {
                try SignatureVerifier.verify(scheme, headers: RequestHeaders([("Stripe-Signature", broken)]), body: body, now: 1_614_265_330)
            }
        }
        // A rotation: the old secret first, the new one second; either verifies.
        var rotated = scheme
        rotated.secrets = [.hmac(Array("whsec_old".utf8))] + scheme.secrets
        try SignatureVerifier.verify(rotated, headers: RequestHeaders([("Stripe-Signature", header)]), body: body, now: 1_614_265_330)
        #expect(settings.identity == EventIdentity(kind: .stripe))
        let classified = try EventClassifier.classifyParsed(identity: settings.identity, body: body, headers: RequestHeaders())
        #expect(classified.id == "evt_1" && classified.type == "charge.refunded")
    }

    @Test func identitiesPerKind() throws {
        let github = EventIdentity(kind: .github)
        let headers = RequestHeaders([("X-GitHub-Delivery", " 72d3162e-cc78-11e3-81ab-4c9367dc0958 "), ("X-GitHub-Event", "pull_request")])
        let pull = try EventClassifier.classifyParsed(identity: github, body: Array(#"{"action":"opened"}"#.utf8), headers: headers)
        #expect(pull.id == "72d3162e-cc78-11e3-81ab-4c9367dc0958" && pull.type == "pull_request.opened")
        #expect(try EventClassifier.classifyParsed(identity: github, body: Array("{}".utf8), headers: headers).type == "pull_request")
        #expect(throws: HookGateError(.missingEventID, "")) {
            try EventClassifier.classifyParsed(identity: github, body: Array("{}".utf8), headers: RequestHeaders([("X-GitHub-Event", "push")]))
        }
        let shopify = EventIdentity(kind: .shopify)
        let order = try EventClassifier.classifyParsed(
            identity: shopify, body: Array("{}".utf8), headers: RequestHeaders([("X-Shopify-Webhook-Id", "w-1"), ("X-Shopify-Topic", "orders/create")]))
        #expect(order.id == "w-1" && order.type == "orders/create")
        let both = RequestHeaders([("X-Shopify-Webhook-Id", "w-1"), ("X-Shopify-Event-Id", "e-1")])
        #expect(try EventClassifier.classifyParsed(identity: shopify, body: Array("{}".utf8), headers: both).id == "e-1")
        let long = RequestHeaders([("webhook-id", String(repeating: "a", count: 257))])
        #expect(throws: HookGateError(.missingEventID, "")) {
            try EventClassifier.classifyParsed(identity: EventIdentity(kind: .standardWebhooks), body: Array("{}".utf8), headers: long)
        }
        let control = RequestHeaders([("webhook-id", "a\u{1}b")])
        #expect(throws: HookGateError(.missingEventID, "")) {
            try EventClassifier.classifyParsed(identity: EventIdentity(kind: .standardWebhooks), body: Array("{}".utf8), headers: control)
        }
        // hmac: a JSON Pointer into arrays and escaped names, integers allowed; any body with the body hash.
        let pointer = EventIdentity(id: .json(JSONPointer("/data/0/a~1b")!, integers: true), type: .none, json: .strict)
        #expect(try EventClassifier.classifyParsed(identity: pointer, body: Array(#"{"data":[{"a/b":42}]}"#.utf8), headers: RequestHeaders()).id == "42")
        let hashed = try EventClassifier.classifyParsed(identity: EventIdentity(kind: .hmac), body: Array("not json".utf8), headers: RequestHeaders())
        #expect(hashed.id == "sha256:" + SHA256.hexHash(Array("not json".utf8)) && hashed.type == "")
        #expect(JSONPointer("a") == nil && JSONPointer("/a~2") == nil && JSONPointer("/a~")  == nil && JSONPointer("/a~0~1")?.tokens == ["a~/"])
    }

    /// What `hookgate sign` and `replay` send verifies, for every kind, HMAC and Ed25519.
    @Test func developmentSignerRoundTrip() throws {
        let body = Array(#"{"id":"evt_9","type":"x.y"}"#.utf8)
        let configuration = try Self.configuration()
        for settings in configuration.providers {
            guard case .signature(let scheme) = settings.verification else { continue }
            let signer = try SenderSigner(settings: settings, secret: nil)
            let headers = try signer.headers(body: body, captured: [("X-GitHub-Event", "push"), ("X-Shopify-Topic", "orders/create")], now: 1_800_000_000)
            try SignatureVerifier.verify(scheme, headers: RequestHeaders(headers), body: body, now: 1_800_000_000)
            _ = try EventClassifier.classifyParsed(identity: settings.identity, body: body, headers: RequestHeaders(headers))
        }
        var acme = try #require(configuration.settings(for: Provider(rawValue: "acme")!))
        guard case .success(let key) = SignatureSecret.parse(DevelopmentSecrets.ed25519PublicKey, kind: .standardWebhooks) else {
            throw ToolFailure("development key")
        }
        acme.verification = .signature(SignatureScheme(format: .standardWebhooks, secrets: [key]))
        let signer = try SenderSigner(settings: acme, secret: nil)
        let headers = try signer.headers(body: body, now: 1_800_000_000)
        #expect(RequestHeaders(headers).first("webhook-signature")?.hasPrefix("v1a,") == true)
        guard case .signature(let scheme) = acme.verification else { return }
        try SignatureVerifier.verify(scheme, headers: RequestHeaders(headers), body: body, now: 1_800_000_000)
    }

    /// `hookgate verify --provider`: the verdict is the gate's, the lines say what was signed and what each secret expects.
    @Test func signatureReportExplainsAndHintsAtANewline() throws {
        let (settings, _) = try Self.scheme("github")
        let body = Array("Hello, World!".utf8)
        let headers = RequestHeaders([("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")])
        let good = SignatureReport(settings: settings, headers: headers, body: body, now: 0)
        #expect(good.rejection == nil && good.lines.last == "verdict: VERIFIED (signature)")
        #expect(good.lines.contains { $0.hasPrefix("secret 1: (26 bytes, fingerprint sha256:") && $0.contains("expects sha256=757107ea0eb2509fc") })
        #expect(!good.lines.joined().contains("It's a Secret"))
        let edited = SignatureReport(settings: settings, headers: headers, body: body + [0x0A], now: 0)
        #expect(edited.rejection?.code == .badSignature)
        #expect(edited.lines.contains("hint:    the signature matches the body without its final newline: the bytes sent differ from the bytes signed"))
        let (stripe, _) = try Self.scheme("stripe")
        let stale = SignatureReport(
            settings: stripe, headers: RequestHeaders([("Stripe-Signature", "t=1614265330,v1=dc62f163b81075f9676067863ea6e530a962a5c5c37aacb8344e80a78f8a484e")]),
            body: Array(#"{"id":"evt_1","type":"charge.refunded"}"#.utf8), now: 1_614_266_000)
        #expect(stale.rejection?.code == .staleToken && stale.lines.contains { $0.hasPrefix("time:    1614265330") && $0.contains("670 s old") })
    }
}
