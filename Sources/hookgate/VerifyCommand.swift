import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate verify`: explains whether a token verifies, and why not.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Explain whether a webhook verifies, and why not: a JWT token, or a shared-secret sender's signature.",
        discussion: """
            A token (Plaid, LinkMoney, LedgerSync): runs the gate's own pipeline (token parse, alg ES256, kid, key, signature, \
            iat, body hash) and prints the decoded header and claims, each check, and a verdict with the contract's error code.
            A shared-secret sender (--provider NAME, with --config, or a kind name for its development secret): give the body \
            and the request's headers (--header, repeatable, or a *.capture.json as --body); it prints what the scheme signs, \
            the signature each secret gives (secrets shown by length and fingerprint only), the timestamp's age, and the verdict.
              hookgate verify --provider github --body Fixtures/github/push.capture.json
            Exit status: 0 verified, 1 rejected, 2 usage error.
            """
    )

    @Argument(help: "The token (the value of Plaid-Verification / Webhook-Verification).")
    var token: String?

    @Option(name: .customLong("token-file"), help: "Read the token from this file instead.")
    var tokenFile: String?

    @Option(help: "A JWK or JWKS file (JSON, not PEM); the token's kid picks the key from a JWKS.")
    var key: String?

    @Option(help: "A shared-secret provider: a provider of --config, or a kind name (stripe, github, ...) with its development secret.")
    var provider: String?

    @Option(help: "The configuration file that configures --provider (its secrets and scheme).")
    var config: String?

    @Option(name: .customLong("header"), help: "A request header, \"Name: value\" (repeatable), with --provider.")
    var headers: [String] = []

    @Option(help: "The webhook body; then request_body_sha256 must match its bytes exactly.")
    var body: String?

    @Option(name: .customLong("max-age"), help: "Reject tokens whose iat is older than this many seconds (0 skips the age check).")
    var maxAge: Int = 300

    @Option(help: "Check as if the time were this Unix time (for reproducible checks).")
    var now: Int64?

    func validate() throws {
        if provider != nil {
            if token != nil || tokenFile != nil || key != nil { throw ValidationError("--provider checks a signature from --header and --body: give no token or --key") }
            if body == nil { throw ValidationError("with --provider, give --body (a body file or a *.capture.json)") }
            if let provider, Provider(rawValue: provider) == nil { throw ValidationError("--provider \(provider) is not a provider name (a-z, 0-9, - and _)") }
            for header in headers where !header.contains(":") { throw ValidationError("--header must be \"Name: value\"") }
            return
        }
        if token != nil && tokenFile != nil { throw ValidationError("give the token as an argument or with --token-file, not both") }
        if token == nil && tokenFile == nil { throw ValidationError("give the token as an argument or with --token-file (or --provider for a shared-secret sender)") }
        if key == nil { throw ValidationError("give --key, the JWK or JWKS file the token is checked against") }
        if maxAge < 0 { throw ValidationError("--max-age must be 0 or more") }
    }

    func run() async throws {
        if let provider {
            try checkSignature(provider: Provider(rawValue: provider)!)
            return
        }
        let key = self.key!
        let text: String
        if let tokenFile {
            text = String(decoding: try readFile(tokenFile, what: "token file"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            text = token!.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let keyText = String(decoding: try readFile(key, what: "key file"), as: UTF8.self)
        let expected =
            "--key takes public keys as JSON: a JWK ({\"kty\":\"EC\",\"crv\":\"P-256\",...}) or a JWKS ({\"keys\":[...]}), "
            + "like the .jwks.json that `hookgate keys generate` writes"
        if keyText.contains("-----BEGIN") {
            throw ValidationError("\(key) is a PEM file, not a JWK or JWKS; \(expected)")
        }
        let source: PinnedKeySource
        do {
            source = try PinnedKeySource(json: keyText, origin: key)
        } catch let error as ConfigurationError {
            let reason = error.problems.first?.message ?? "unusable"
            throw ValidationError("\(key) is not a usable JWK or JWKS (\(reason)); \(expected)")
        }
        let bodyBytes = try body.map { Array(try readFile($0, what: "body file")) }
        let report = VerifyReport(
            token: text, keys: source, keyOrigin: key, body: bodyBytes, now: now ?? Int64(Date().timeIntervalSince1970), maxAge: maxAge)
        for line in report.lines { print(line) }
        if report.rejection != nil { throw ExitCode(1) }
    }

    /// `--provider`: a shared-secret sender's signature, explained by ``SignatureReport``.
    private func checkSignature(provider: Provider) throws {
        let directory = SenderDirectory(configuration: try config.map { try loadConfiguration($0) })
        let settings: GateConfiguration.ProviderSettings
        do {
            settings = try directory.settings(for: provider)
        } catch {
            throw ValidationError(error.message)
        }
        var bodyBytes = Array(try readFile(body!, what: "body file"))
        var pairs: [(String, String)] = []
        if let capture = CaptureFile.decode(Data(bodyBytes)) {
            do { bodyBytes = try capture.bodyBytes() } catch { throw ValidationError("\(body!): \(error)") }
            pairs = capture.headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
        }
        pairs = headers.map(headerPair) + pairs
        let report = SignatureReport(settings: settings, headers: RequestHeaders(pairs), body: bodyBytes, now: now ?? Int64(Date().timeIntervalSince1970))
        for line in report.lines { print(line) }
        if report.rejection != nil { throw ExitCode(1) }
    }
}
