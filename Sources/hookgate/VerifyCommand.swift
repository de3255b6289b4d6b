import ArgumentParser
import Foundation
import HookGateCore
import HookGateTools

/// `hookgate verify`: explains whether a token verifies, and why not.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Explain whether a webhook verification token verifies, and why not.",
        discussion: """
            Runs the gate's own pipeline (token parse, alg ES256, kid, key, signature, iat, body hash) and prints the decoded \
            header and claims, each check, and a verdict with the contract's error code.
            Exit status: 0 verified, 1 rejected, 2 usage error.
            """
    )

    @Argument(help: "The token (the value of Plaid-Verification / Webhook-Verification).")
    var token: String?

    @Option(name: .customLong("token-file"), help: "Read the token from this file instead.")
    var tokenFile: String?

    @Option(help: "A JWK or JWKS file (JSON, not PEM); the token's kid picks the key from a JWKS.")
    var key: String

    @Option(help: "The webhook body; then request_body_sha256 must match its bytes exactly.")
    var body: String?

    @Option(name: .customLong("max-age"), help: "Reject tokens whose iat is older than this many seconds (0 skips the age check).")
    var maxAge: Int = 300

    @Option(help: "Check as if the time were this Unix time (for reproducible checks).")
    var now: Int64?

    func validate() throws {
        if token != nil && tokenFile != nil { throw ValidationError("give the token as an argument or with --token-file, not both") }
        if token == nil && tokenFile == nil { throw ValidationError("give the token as an argument or with --token-file") }
        if maxAge < 0 { throw ValidationError("--max-age must be 0 or more") }
    }

    func run() async throws {
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
}
