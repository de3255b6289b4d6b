import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools
import JOSE

/// `hookgate sign`: signs a body as its sender would, for curl and tests.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a body file as its sender would: a Plaid-style ES256 token, or a shared-secret sender's headers.",
        discussion: """
            For plaid, linkmoney and ledgersync (the default provider is plaid) it prints the token (alg ES256, kid, typ JWT; \
            iat, request_body_sha256). Without --key it signs with the development key (kid \(DevelopmentKeys.keyID)) that the \
            embedded defaults trust. Example:
              curl -H "Plaid-Verification: $(hookgate sign Fixtures/plaid/ITEM.ERROR.json)" \\
                   --data-binary @Fixtures/plaid/ITEM.ERROR.json http://127.0.0.1:8080/webhooks/plaid
            For a shared-secret provider (stripe, github, shopify, standard-webhooks, hmac) it prints the request's headers, \
            one "Name: value" per line, for curl's -H @FILE: signed with --secret, else the provider's first secret in \
            --config, else the kind's development secret. Identity headers the kind reads from the request (X-GitHub-Event, \
            X-Shopify-Topic, ...) come from --header or a capture file; a missing id header is derived from the body's SHA-256. Example:
              hookgate sign --provider stripe Fixtures/stripe/payment_intent.succeeded.json > headers.txt
              curl -H @headers.txt --data-binary @Fixtures/stripe/payment_intent.succeeded.json http://127.0.0.1:8080/webhooks/stripe
            """
    )

    @Option(help: "The provider: a built-in one, a kind name (development secret), or a provider of --config.")
    var provider: String = "plaid"

    @Option(help: "The gate's configuration file, for its providers' kinds, paths and secrets.")
    var config: String?

    @Option(help: "The secret to sign with, written as the configuration writes it (shared-secret kinds).")
    var secret: String?

    @Option(name: .customLong("header"), help: "A request header the kind reads, \"Name: value\" (repeatable), e.g. \"X-GitHub-Event: push\".")
    var headers: [String] = []

    @Option(help: "A PEM private key (P-256). Default: the development key.")
    var key: String?

    @Option(help: "The kid to put in the header. Default: \(DevelopmentKeys.keyID) with the development key; required with --key.")
    var kid: String?

    @Option(help: "The iat claim, or the signature's timestamp (Unix seconds). Default: now.")
    var iat: Int64?

    @Argument(help: "The body file, signed byte for byte, or a *.capture.json (its body, with its id and type headers).")
    var bodyFile: String

    func validate() throws {
        if key != nil && kid == nil { throw ValidationError("with --key, give --kid (the kid its JWKS publishes)") }
        if Provider(rawValue: provider) == nil { throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)") }
        for header in headers where !header.contains(":") { throw ValidationError("--header must be \"Name: value\"") }
    }

    func run() async throws {
        var body = Array(try readFile(bodyFile, what: "body file"))
        var captured: [(String, String)] = []
        if let capture = CaptureFile.decode(Data(body)) {
            do { body = try capture.bodyBytes() } catch { throw ValidationError("\(bodyFile): \(error)") }
            captured = capture.headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        }
        let now = iat ?? Int64(Date().timeIntervalSince1970)
        let directory = SenderDirectory(configuration: try config.map { try loadConfiguration($0) })
        let settings: GateConfiguration.ProviderSettings
        do {
            settings = try directory.settings(for: Provider(rawValue: provider)!)
        } catch {
            throw ValidationError(error.message)
        }
        if case .signature = settings.verification {
            let given = headers.map(headerPair)
            do {
                let signer = try SenderSigner(settings: settings, secret: secret)
                for (name, value) in try signer.headers(body: body, captured: given + captured, now: now) { print("\(name): \(value)") }
            } catch {
                throw ValidationError("\(provider): \(error.description)")
            }
            return
        }
        let signer: WebhookSigner
        do {
            signer = try WebhookSigner(pem: try key.map { String(decoding: try readFile($0, what: "key"), as: UTF8.self) }, keyID: kid)
        } catch let error as JOSEError {
            throw ValidationError("\(key ?? "development key"): \(error.reason)")
        }
        print(try signer.token(body: body, issuedAt: now))
    }
}
