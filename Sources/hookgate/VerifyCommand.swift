import ArgumentParser
import Foundation
import HookGateCore
import JOSE

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

    @Option(help: "A JWK or JWKS file; the token's kid picks the key from a JWKS.")
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
        let source: PinnedKeySource
        do {
            source = try PinnedKeySource(json: keyText, origin: key)
        } catch {
            throw ValidationError("\(error)")
        }
        let bodyBytes = try body.map { Array(try readFile($0, what: "body file")) }
        let now = self.now ?? Int64(Date().timeIntervalSince1970)

        func reject(_ error: HookGateError) throws -> Never {
            print("verdict: REJECTED \(error.code.rawValue)")
            print("reason:  \(error.reason)")
            throw ExitCode(1)
        }

        let jws: CompactJWS
        do {
            jws = try WebhookVerifier.parse(text)
        } catch {
            try reject(error)
        }
        print("header:  \(jws.header.compactText)")
        print("claims:  \(jws.claims.compactText)")
        let keyID: String
        do {
            keyID = try WebhookVerifier.checkHeader(jws)
        } catch {
            try reject(error)
        }
        // A single JWK without a kid is used whatever the token names; a JWKS must be chosen from.
        let jwk: JWK
        if source.keySet.keys.count == 1, source.keySet.keys[0].keyID == nil {
            jwk = source.keySet.keys[0]
        } else {
            do {
                jwk = try source.keySet.key(withID: keyID)
            } catch {
                try reject(HookGateError(error.code == .ambiguousKey ? .unknownKey : .unknownKey, "\(error.reason) in \(key)"))
            }
        }
        let publicKey: P256PublicKey
        do {
            publicKey = try jwk.publicKey()
        } catch {
            try reject(HookGateError(.unknownKey, "the key for kid \(keyID) is unusable: \(error.reason)"))
        }
        print("key:     kid \(jwk.keyID ?? "(none)") from \(key)")
        if let expiredAt = jwk.expiredAt { try reject(HookGateError(.expiredKey, "kid \(keyID) has expired_at \(expiredAt)")) }
        if let iat = jws.claims["iat"]?.int64Value {
            let age = now - iat
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(iat)))
            print("iat:     \(iat) (\(when)), \(age >= 0 ? "\(age) s old" : "\(-age) s in the future"); limit \(maxAge == 0 ? "none" : "\(maxAge) s")")
        }
        if let bodyBytes {
            print("body:    \(bodyBytes.count) bytes, sha256 \(SHA256.hexHash(bodyBytes))")
            do {
                _ = try WebhookVerifier.check(jws, keyID: keyID, key: publicKey, body: bodyBytes, now: now, maxAge: maxAge)
            } catch {
                try reject(error)
            }
            print("verdict: VERIFIED (signature, age and body hash)")
        } else {
            // Without the body, check everything but the body hash.
            do {
                _ = try WebhookVerifier.check(jws, keyID: keyID, key: publicKey, body: [], now: now, maxAge: maxAge)
            } catch where error.code == .bodyMismatch {
                print("verdict: VERIFIED (signature and age; pass --body to check request_body_sha256)")
                return
            } catch {
                try reject(error)
            }
            print("verdict: VERIFIED (signature and age; the claimed body hash is that of an empty body)")
        }
    }
}
