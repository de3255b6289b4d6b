import Foundation
import HookGateCore
import JOSE

/// Why a token verifies or not, step by step, as `hookgate verify` prints it: the decoded
/// header and claims, the key chosen, the token's age, the body's hash, then a verdict.
///
/// Runs the gate's own checks (``WebhookVerifier``, ``PinnedKeySource/key(for:)``,
/// ``KeyCache/requireCurrent(_:)``) in the gate's order; the first failure ends the report.
package struct VerifyReport: Sendable {
    /// The report's lines, verdict (and reason, when rejected) last.
    package private(set) var lines: [String] = []
    /// The failure, or `nil` when the token verified.
    package private(set) var rejection: HookGateError?

    /// Checks `token` against `keys` (read from `keyOrigin`) at `now` (Unix seconds).
    /// - Parameters:
    ///   - body: the webhook body; without it, everything but `request_body_sha256` is checked.
    ///   - maxAge: the oldest `iat` accepted, in seconds; 0 skips the age check.
    package init(token: String, keys: PinnedKeySource, keyOrigin: String, body: [UInt8]?, now: Int64, maxAge: Int) {
        do {
            try check(token, keys: keys, keyOrigin: keyOrigin, body: body, now: now, maxAge: maxAge)
        } catch {
            rejection = error
            lines.append("verdict: REJECTED \(error.code.rawValue)")
            lines.append("reason:  \(error.reason)")
        }
    }

    private mutating func check(
        _ token: String, keys: PinnedKeySource, keyOrigin: String, body: [UInt8]?, now: Int64, maxAge: Int
    ) throws(HookGateError) {
        let jws = try WebhookVerifier.parse(token)
        lines.append("header:  \(jws.header.compactText)")
        lines.append("claims:  \(jws.claims.compactText)")
        let keyID = try WebhookVerifier.checkHeader(jws)
        let jwk: JWK
        do {
            jwk = try keys.key(for: keyID)
        } catch {
            throw HookGateError(error.code, "\(error.reason) in \(keyOrigin)")
        }
        let publicKey: P256PublicKey
        do {
            publicKey = try jwk.publicKey()
        } catch {
            throw HookGateError(.unknownKey, "the key for kid \(keyID) is unusable: \(error.reason)")
        }
        lines.append("key:     kid \(jwk.keyID ?? "(none)") from \(keyOrigin)")
        try KeyCache.requireCurrent(jwk)
        if let iat = jws.claims["iat"]?.int64Value {
            let age = now - iat
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(iat)))
            let limit = maxAge == 0 ? "none" : "\(maxAge) s"
            lines.append("iat:     \(iat) (\(when)), \(age >= 0 ? "\(age) s old" : "\(-age) s in the future"); limit \(limit)")
        }
        if let body {
            lines.append("body:    \(body.count) bytes, sha256 \(SHA256.hexHash(body))")
            _ = try WebhookVerifier.check(jws, keyID: keyID, key: publicKey, body: body, now: now, maxAge: maxAge)
            lines.append("verdict: VERIFIED (signature, age and body hash)")
            return
        }
        // Without the body, check everything but the body hash.
        do {
            _ = try WebhookVerifier.check(jws, keyID: keyID, key: publicKey, body: [], now: now, maxAge: maxAge)
            lines.append("verdict: VERIFIED (signature and age; the claimed body hash is that of an empty body)")
        } catch  where error.code == .bodyMismatch {
            lines.append("verdict: VERIFIED (signature and age; pass --body to check request_body_sha256)")
        }
    }
}
