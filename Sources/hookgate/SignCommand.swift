import ArgumentParser
import Foundation
import HookGateCore
import JOSE

/// `hookgate sign`: prints a Plaid-style verification token for a body.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print a Plaid-style ES256 token (alg, kid, typ JWT; iat, request_body_sha256) for a body file.",
        discussion: """
            Without --key, signs with the development key (kid \(DevelopmentKeys.keyID)) that the embedded defaults trust. Example:
              curl -H "Plaid-Verification: $(hookgate sign Fixtures/plaid/ITEM.ERROR.json)" \
                   --data-binary @Fixtures/plaid/ITEM.ERROR.json http://127.0.0.1:8080/webhooks/plaid
            """
    )

    @Option(help: "A PEM private key (P-256). Default: the development key.")
    var key: String?

    @Option(help: "The kid to put in the header. Default: \(DevelopmentKeys.keyID) with the development key; required with --key.")
    var kid: String?

    @Option(help: "The iat claim (Unix seconds). Default: now.")
    var iat: Int64?

    @Argument(help: "The body file, signed byte for byte.")
    var bodyFile: String

    func validate() throws {
        if key != nil && kid == nil { throw ValidationError("with --key, give --kid (the kid its JWKS publishes)") }
    }

    func run() async throws {
        let body = try readFile(bodyFile, what: "body file")
        let signer: WebhookSigner
        do {
            signer = try WebhookSigner(pem: try key.map { String(decoding: try readFile($0, what: "key"), as: UTF8.self) }, keyID: kid)
        } catch let error as JOSEError {
            throw ValidationError("\(key ?? "development key"): \(error.reason)")
        }
        print(try signer.token(body: Array(body), issuedAt: iat ?? Int64(Date().timeIntervalSince1970)))
    }
}
