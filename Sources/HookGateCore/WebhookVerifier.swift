import JOSE

/// Authenticates one provider's webhooks.
///
/// For the JWT scheme (Plaid, LinkMoney, LedgerSync `jwt`) the order is fixed and
/// each step has its own code: token present (`missing_signature`) → compact JWS
/// parse (`malformed_token`) → `alg` is ES256 (`unsupported_algorithm`) → `kid`
/// present (`missing_key_id`) and sane → key from the cache (`unknown_key`,
/// `expired_key`, `key_unavailable`) → signature (`bad_signature`) → `iat` within
/// `maxAge` (`stale_token`) and at most ``futureLeeway`` ahead (`future_token`) →
/// `request_body_sha256` equals the SHA-256 of the raw body, in constant time
/// (`body_mismatch`).
///
/// The shared-secret kinds (Stripe, GitHub, Shopify, Standard Webhooks, `hmac`) are
/// checked by ``SignatureVerifier``, with the same codes.
public struct WebhookVerifier: Sendable {
    /// How the token is checked.
    public enum Scheme: Sendable {
        case jwt(keys: KeyCache, maxAge: Int)
        case token(secret: [UInt8])
        case signature(SignatureScheme)
        case none
    }

    /// Seconds a token's `iat` may lie in the future (clock skew); Plaid is silent on it.
    public static let futureLeeway: Int64 = 60
    /// The longest `kid` accepted.
    public static let maxKeyIDLength = 128

    public let provider: Provider
    public let scheme: Scheme

    public init(provider: Provider, scheme: Scheme) {
        self.provider = provider
        self.scheme = scheme
    }

    /// Verifies a webhook.
    /// - Parameters:
    ///   - credential: the verification header's value, if any (JWT and token schemes).
    ///   - headers: the request headers the `signature` scheme reads.
    ///   - body: the raw body exactly as received.
    ///   - now: Unix seconds; `nil` waives only the freshness check (a quarantined webhook
    ///   recovered with `ignore_age`), never the signature or the body hash.
    /// - Returns: the verified token for the JWT scheme, `nil` for the others.
    /// - Throws: ``HookGateError`` with the code of the first failed step.
    public func verify(credential: String?, headers: RequestHeaders = RequestHeaders(), body: [UInt8], now: Int64?) async throws(HookGateError)
        -> VerifiedToken?
    {
        switch scheme {
        case .none:
            return nil
        case .signature(let signature):
            try SignatureVerifier.verify(signature, headers: headers, body: body, now: now)
            return nil
        case .token(let secret):
            guard let credential, !credential.isEmpty else { throw HookGateError(.missingSignature, "no shared-secret header") }
            guard ConstantTime.equals(Array(credential.utf8), secret) else { throw HookGateError(.badToken, "shared secret does not match") }
            return nil
        case .jwt(let keys, let maxAge):
            guard let credential, !credential.isEmpty else { throw HookGateError(.missingSignature, "no verification token header") }
            let jws = try Self.parse(credential)
            let keyID = try Self.checkHeader(jws)
            let entry: KeyCache.Entry
            if let cached = try keys.cachedKey(for: keyID) {
                entry = cached
            } else {
                entry = try await keys.key(for: keyID)
            }
            return try Self.check(jws, keyID: keyID, key: entry.publicKey, body: body, now: now, maxAge: maxAge)
        }
    }

    /// Parses the token, mapping JOSE failures to `malformed_token`.
    public static func parse(_ token: String) throws(HookGateError) -> CompactJWS {
        do {
            return try CompactJWS(token.trimmingSpacesAndTabs())
        } catch {
            throw HookGateError(.malformedToken, error.reason)
        }
    }

    /// Checks `alg` and `kid`; returns the `kid`.
    public static func checkHeader(_ jws: CompactJWS) throws(HookGateError) -> String {
        guard let alg = jws.algorithm else { throw HookGateError(.unsupportedAlgorithm, "the token header has no alg") }
        guard alg == JWSAlgorithm.es256.rawValue else { throw HookGateError(.unsupportedAlgorithm, "alg \(JSONValue.quote(alg)) is not ES256") }
        guard let keyID = jws.keyID, !keyID.isEmpty else { throw HookGateError(.missingKeyID, "the token header has no kid") }
        guard keyID.utf8.count <= maxKeyIDLength, keyID.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw HookGateError(.malformedToken, "kid is longer than \(maxKeyIDLength) bytes or not printable ASCII")
        }
        return keyID
    }

    /// Checks signature, age and body hash once the key is known.
    public static func check(
        _ jws: CompactJWS, keyID: String, key: P256PublicKey, body: [UInt8], now: Int64?, maxAge: Int
    ) throws(HookGateError) -> VerifiedToken {
        do {
            try jws.verifySignature(using: key, algorithm: .es256)
        } catch {
            throw HookGateError(error.code == .unsupportedAlgorithm ? .unsupportedAlgorithm : .badSignature, error.reason)
        }
        guard let iat = jws.claims["iat"]?.int64Value else {
            throw HookGateError(.malformedToken, "claim iat is missing or not a whole number")
        }
        if let now, maxAge > 0, now - iat > Int64(maxAge) {
            throw HookGateError(.staleToken, "iat \(iat) is \(now - iat) s old; the limit is \(maxAge) s")
        }
        if let now, iat - now > futureLeeway {
            throw HookGateError(.futureToken, "iat \(iat) is \(iat - now) s in the future; the limit is \(futureLeeway) s")
        }
        guard let claimed = jws.claims["request_body_sha256"]?.stringValue else {
            throw HookGateError(.malformedToken, "claim request_body_sha256 is missing or not a string")
        }
        let actual = SHA256.hexHash(body)
        guard ConstantTime.equals(Array(claimed.lowercased().utf8), Array(actual.utf8)) else {
            throw HookGateError(.bodyMismatch, "request_body_sha256 does not match the SHA-256 of the body as received")
        }
        return VerifiedToken(header: jws.header, claims: jws.claims, keyID: keyID, issuedAt: iat, bodySHA256: actual)
    }
}
