import Foundation
import HookGateCore
import JOSE

/// Why a shared-secret sender's webhook (Stripe, GitHub, Shopify, Standard Webhooks,
/// `hmac`) verifies or not, as `hookgate verify --provider` prints it: the signature
/// headers received, what the scheme signs, the signature each configured secret gives
/// (secrets shown only by length and fingerprint), the timestamp's age, then the gate's
/// own verdict (``SignatureVerifier``) and, when a body differing only in its final
/// newline would verify, that hint.
package struct SignatureReport: Sendable {
    /// The report's lines, verdict (and reason, when rejected) last.
    package private(set) var lines: [String] = []
    /// The failure, or `nil` when the webhook verified.
    package private(set) var rejection: HookGateError?

    /// Checks `body` with `headers` against `settings` at `now` (Unix seconds).
    package init(settings: GateConfiguration.ProviderSettings, headers: RequestHeaders, body: [UInt8], now: Int64) {
        guard case .signature(let scheme) = settings.verification else {
            rejection = HookGateError(.unsupportedAlgorithm, "\(settings.provider) is a \(settings.kind.rawValue) provider, verified with a token")
            lines = ["verdict: REJECTED unsupported_algorithm", "reason:  \(rejection!.reason)"]
            return
        }
        lines.append("provider: \(settings.provider) (kind \(settings.kind.rawValue))")
        for name in scheme.headerNames {
            if let value = headers.first(name) { lines.append("header:  \(name): \(value)") }
        }
        lines.append("body:    \(body.count) bytes, sha256 \(SHA256.hexHash(body))")
        let signed = Self.signedMessage(scheme.format, headers: headers, body: body)
        lines.append("signed:  \(signed.description)")
        for (index, secret) in scheme.secrets.enumerated() {
            lines.append("secret \(index + 1): \(Self.expected(secret, format: scheme.format, message: signed.bytes, headers: headers))")
        }
        if let timestamp = Self.timestamp(scheme.format, headers: headers) {
            let age = now - timestamp
            let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(timestamp)))
            lines.append("time:    \(timestamp) (\(when)), \(age >= 0 ? "\(age) s old" : "\(-age) s in the future"); limit \(scheme.maxAge) s either way")
        }
        do {
            try SignatureVerifier.verify(scheme, headers: headers, body: body, now: now)
            lines.append("verdict: VERIFIED (signature\(Self.timestamp(scheme.format, headers: headers) == nil ? "" : " and timestamp"))")
        } catch {
            rejection = error
            if error.code == .badSignature, let hint = Self.newlineHint(scheme, headers: headers, body: body, now: now) { lines.append("hint:    \(hint)") }
            lines.append("verdict: REJECTED \(error.code.rawValue)")
            lines.append("reason:  \(error.reason)")
        }
    }

    /// What the scheme signs, for the report and for the expected signatures.
    static func signedMessage(_ format: SignatureScheme.Format, headers: RequestHeaders, body: [UInt8]) -> (bytes: [UInt8], description: String) {
        switch format {
        case .stripe:
            let t = stripeTimestamp(headers) ?? "?"
            return (Array("\(t).".utf8) + body, "\"\(t).\" followed by the body")
        case .standardWebhooks:
            let prefix = headers.first("webhook-signature") != nil ? "webhook" : "svix"
            let id = headers.first("\(prefix)-id") ?? "?"
            let timestamp = headers.first("\(prefix)-timestamp").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.map(String.init) ?? "?"
            return (Array("\(id).\(timestamp).".utf8) + body, "\"\(id).\(timestamp).\" followed by the body")
        default:
            return (body, "the body, byte for byte")
        }
    }

    /// The signature `secret` gives for `message`, as the scheme writes it (shortened), or what an Ed25519 key says.
    static func expected(_ secret: SignatureSecret, format: SignatureScheme.Format, message: [UInt8], headers: RequestHeaders) -> String {
        switch secret {
        case .ed25519(let key):
            let prefix = headers.first("webhook-signature") != nil ? "webhook" : "svix"
            let given = (headers.first("\(prefix)-signature") ?? "").split(separator: " ").compactMap { part -> [UInt8]? in
                guard part.hasPrefix("v1a,") else { return nil }
                return Data(base64Encoded: String(part.dropFirst(4))).map { Array($0) }
            }
            let valid = given.contains { key.isValidSignature($0, for: message) }
            return "Ed25519 key whpk_\(Data(key.rawRepresentation.prefix(6)).base64EncodedString())…: \(given.count) v1a signature(s), \(valid ? "one is valid" : "none valid")"
        case .hmac(let key):
            let fingerprint = "\(key.count) bytes, fingerprint sha256:\(SHA256.hexHash(key).prefix(8))"
            let written: String
            switch format {
            case .stripe: written = "v1=" + Hex.encode(HMACAlgorithm.sha256.authenticationCode(for: message, key: key))
            case .github: written = "sha256=" + Hex.encode(HMACAlgorithm.sha256.authenticationCode(for: message, key: key))
            case .shopify: written = Data(HMACAlgorithm.sha256.authenticationCode(for: message, key: key)).base64EncodedString()
            case .standardWebhooks: written = "v1," + Data(HMACAlgorithm.sha256.authenticationCode(for: message, key: key)).base64EncodedString()
            case .hmac(_, let algorithm, let encoding, let prefix):
                let code = algorithm.authenticationCode(for: message, key: key)
                written = prefix + (encoding == .hex ? Hex.encode(code) : Data(code).base64EncodedString())
            }
            return "(\(fingerprint)) expects \(written.prefix(24))…"
        }
    }

    private static func stripeTimestamp(_ headers: RequestHeaders) -> String? {
        headers.first("Stripe-Signature")?.split(separator: ",").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("t=") }.map { String($0.dropFirst(2)) }
    }

    private static func timestamp(_ format: SignatureScheme.Format, headers: RequestHeaders) -> Int64? {
        switch format {
        case .stripe: return stripeTimestamp(headers).flatMap { Int64($0) }
        case .standardWebhooks:
            let prefix = headers.first("webhook-signature") != nil ? "webhook" : "svix"
            return headers.first("\(prefix)-timestamp").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        default: return nil
        }
    }

    /// When the body without its final newline (or with one added) would verify: the usual
    /// cause of a good secret failing (an editor or `echo` added a newline, or a client dropped it).
    private static func newlineHint(_ scheme: SignatureScheme, headers: RequestHeaders, body: [UInt8], now: Int64) -> String? {
        var variants: [([UInt8], String)] = [(body + [0x0A], "with a final newline added")]
        if body.last == 0x0A { variants.append((Array(body.dropLast()), "without its final newline")) }
        if body.suffix(2) == [0x0D, 0x0A] { variants.append((Array(body.dropLast(2)), "without its final CRLF")) }
        for (variant, how) in variants {
            if (try? SignatureVerifier.verify(scheme, headers: headers, body: variant, now: now)) != nil {
                return "the signature matches the body \(how): the bytes sent differ from the bytes signed"
            }
        }
        return nil
    }
}
