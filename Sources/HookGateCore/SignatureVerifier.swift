import Foundation
import JOSE

/// Verifies a shared-secret sender's webhook (Stripe, GitHub, Shopify, Standard
/// Webhooks, `hmac`) over the raw body bytes, as the contract's table says.
///
/// Order and codes: the signature header(s) present and parseable (`missing_signature`)
/// → any configured secret matches any signature given, compared in constant time
/// (`bad_signature`) → for the formats with a timestamp, `abs(now - t) <= max_age`
/// (`stale_token` when older, `future_token` when ahead). The signature is checked
/// before the timestamp, so a forged request learns nothing about the clock.
public enum SignatureVerifier {
    /// The longest signature header value read; longer is `missing_signature`.
    public static let maxHeaderLength = 8192
    /// The most signatures of one version read from a header (senders send one, or two during
    /// their own rotation); the rest are ignored, so a header cannot make a request cost many
    /// Ed25519 verifies.
    public static let maxSignatures = 8

    /// Verifies `body` against `scheme` at `now` (Unix seconds; `nil` waives only the freshness check).
    /// - Throws: ``HookGateError`` with the contract's code; the reason never holds a secret.
    public static func verify(_ scheme: SignatureScheme, headers: RequestHeaders, body: [UInt8], now: Int64?) throws(HookGateError) {
        switch scheme.format {
        case .stripe:
            let (timestamp, signatures) = try stripeSignature(headers.first("Stripe-Signature"))
            let message = Array("\(timestamp).".utf8) + body
            guard matches(signatures, message: message, scheme: scheme, algorithm: .sha256) else {
                throw HookGateError(.badSignature, "no v1 signature in Stripe-Signature matches a configured secret")
            }
            try checkAge(timestamp, now: now, maxAge: scheme.maxAge, name: "Stripe-Signature t")
        case .github:
            let digest = try digest(headers.first("X-Hub-Signature-256"), name: "X-Hub-Signature-256", prefix: "sha256=", encoding: .hex, length: 32)
            guard matches([digest], message: body, scheme: scheme, algorithm: .sha256) else {
                throw HookGateError(.badSignature, "X-Hub-Signature-256 does not match a configured secret")
            }
        case .shopify:
            let digest = try digest(headers.first("X-Shopify-Hmac-Sha256"), name: "X-Shopify-Hmac-Sha256", prefix: "", encoding: .base64, length: 32)
            guard matches([digest], message: body, scheme: scheme, algorithm: .sha256) else {
                throw HookGateError(.badSignature, "X-Shopify-Hmac-Sha256 does not match a configured secret")
            }
        case .standardWebhooks:
            try verifyStandardWebhooks(scheme, headers: headers, body: body, now: now)
        case .hmac(let header, let algorithm, let encoding, let prefix):
            let digest = try digest(headers.first(header), name: header, prefix: prefix, encoding: encoding, length: algorithm.outputLength)
            guard matches([digest], message: body, scheme: scheme, algorithm: algorithm) else {
                throw HookGateError(.badSignature, "\(header) does not match a configured secret")
            }
        }
    }

    /// The Standard Webhooks scheme, with the `svix-` header names accepted as the same scheme.
    private static func verifyStandardWebhooks(_ scheme: SignatureScheme, headers: RequestHeaders, body: [UInt8], now: Int64?) throws(HookGateError) {
        let prefix = headers.first("webhook-signature") != nil ? "webhook" : "svix"
        guard let id = headers.first("\(prefix)-id"), let timestampText = headers.first("\(prefix)-timestamp"),
            let signatureText = headers.first("\(prefix)-signature")
        else { throw HookGateError(.missingSignature, "webhook-id, webhook-timestamp and webhook-signature (or svix-*) are all required") }
        guard id.utf8.count <= 256, !id.isEmpty, let timestamp = Int64(timestampText.trimmingSpacesAndTabs()), signatureText.utf8.count <= maxHeaderLength
        else { throw HookGateError(.missingSignature, "\(prefix)-id or \(prefix)-timestamp is not usable (an id of 1-256 bytes, Unix seconds)") }
        var hmacSignatures: [[UInt8]] = []
        var edSignatures: [[UInt8]] = []
        for part in signatureText.split(separator: " ", omittingEmptySubsequences: true) {
            guard let comma = part.firstIndex(of: ","), let value = Data(base64Encoded: String(part[part.index(after: comma)...])) else { continue }
            switch part[..<comma] {
            case "v1" where hmacSignatures.count < maxSignatures: hmacSignatures.append(Array(value))
            case "v1a" where edSignatures.count < maxSignatures: edSignatures.append(Array(value))
            default: continue
            }
        }
        guard !hmacSignatures.isEmpty || !edSignatures.isEmpty else {
            throw HookGateError(.missingSignature, "\(prefix)-signature has no v1,<base64> or v1a,<base64> signature")
        }
        let message = Array("\(id).\(timestamp).".utf8) + body
        var verified = matches(hmacSignatures, message: message, scheme: scheme, algorithm: .sha256)
        if !verified, !edSignatures.isEmpty {
            for case .ed25519(let key) in scheme.secrets where edSignatures.contains(where: { key.isValidSignature($0, for: message) }) {
                verified = true
            }
        }
        guard verified else { throw HookGateError(.badSignature, "no signature in \(prefix)-signature matches a configured secret") }
        try checkAge(timestamp, now: now, maxAge: scheme.maxAge, name: "\(prefix)-timestamp")
    }

    /// `t` and the `v1` digests of a `Stripe-Signature` header.
    private static func stripeSignature(_ value: String?) throws(HookGateError) -> (String, [[UInt8]]) {
        guard let value, value.utf8.count <= maxHeaderLength else { throw HookGateError(.missingSignature, "no Stripe-Signature header") }
        var timestamp: String?
        var signatures: [[UInt8]] = []
        for item in value.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpacesAndTabs() }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = pair[1] }
            if pair[0] == "v1", signatures.count < maxSignatures, let digest = Hex.decode(pair[1]), digest.count == 32 { signatures.append(digest) }
        }
        guard let timestamp, Int64(timestamp) != nil else { throw HookGateError(.missingSignature, "Stripe-Signature has no t=<unix seconds>") }
        guard !signatures.isEmpty else { throw HookGateError(.missingSignature, "Stripe-Signature has no v1=<64 hex digits>") }
        return (timestamp, signatures)
    }

    /// The digest in a header: `prefix` then the encoded digest of `length` bytes.
    private static func digest(
        _ value: String?, name: String, prefix: String, encoding: SignatureScheme.DigestEncoding, length: Int
    ) throws(HookGateError) -> [UInt8] {
        guard let value, value.utf8.count <= maxHeaderLength else { throw HookGateError(.missingSignature, "no \(name) header") }
        let trimmed = value.trimmingSpacesAndTabs()
        guard trimmed.hasPrefix(prefix) else { throw HookGateError(.missingSignature, "\(name) does not start with \"\(prefix)\"") }
        let text = String(trimmed.dropFirst(prefix.count))
        let digest: [UInt8]? = encoding == .hex ? Hex.decode(text) : Data(base64Encoded: text).map { Array($0) }
        guard let digest, digest.count == length else {
            throw HookGateError(.missingSignature, "\(name) is not \(length) bytes of \(encoding.rawValue)")
        }
        return digest
    }

    /// Whether any `signatures` is the HMAC of `message` under any HMAC secret of `scheme`.
    private static func matches(_ signatures: [[UInt8]], message: [UInt8], scheme: SignatureScheme, algorithm: HMACAlgorithm) -> Bool {
        let keys = scheme.secrets.compactMap { secret -> [UInt8]? in
            if case .hmac(let key) = secret { return key }
            return nil
        }
        guard !keys.isEmpty, !signatures.isEmpty else { return false }
        var matched = false
        for key in keys {
            let code = algorithm.authenticationCode(for: message, key: key)
            for signature in signatures where ConstantTime.equals(code, signature) { matched = true }
        }
        return matched
    }

    /// `abs(now - timestamp) <= maxAge`.
    private static func checkAge(_ timestamp: String, now: Int64?, maxAge: Int, name: String) throws(HookGateError) {
        guard let seconds = Int64(timestamp) else { throw HookGateError(.missingSignature, "\(name) is not Unix seconds") }
        try checkAge(seconds, now: now, maxAge: maxAge, name: name)
    }

    private static func checkAge(_ seconds: Int64, now: Int64?, maxAge: Int, name: String) throws(HookGateError) {
        guard let now else { return }
        if now - seconds > Int64(maxAge) {
            throw HookGateError(.staleToken, "\(name) \(seconds) is \(now - seconds) s old; max_age is \(maxAge) s")
        }
        if seconds - now > Int64(maxAge) {
            throw HookGateError(.futureToken, "\(name) \(seconds) is \(seconds - now) s in the future; max_age is \(maxAge) s")
        }
    }
}
