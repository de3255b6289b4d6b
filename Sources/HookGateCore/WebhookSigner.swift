import Foundation
import JOSE

/// Signs webhook bodies as Plaid and LinkMoney do: an ES256 compact JWS whose header is
/// `{"alg":"ES256","kid":…,"typ":"JWT"}` and whose claims are `iat` and
/// `request_body_sha256` (lowercase hex SHA-256 of the body bytes).
///
/// Used by `hookgate sign`, `hookgate replay` and the tests, so all three sign alike.
public struct WebhookSigner: Sendable {
    /// The private key.
    public let key: P256PrivateKey
    /// The `kid` written in the header; `nil` leaves it out.
    public let keyID: String?

    /// A signer with `key`, naming `keyID` in every token.
    public init(key: P256PrivateKey, keyID: String?) {
        self.key = key
        self.keyID = keyID
    }

    /// A signer with a PEM private key (the development key when `pem` is `nil`); `keyID`
    /// defaults to the development key's id.
    /// - Throws: ``JOSEError`` when the PEM is not a P-256 private key.
    public init(pem: String?, keyID: String?) throws(JOSEError) {
        self.init(key: try P256PrivateKey(pem: pem ?? DevelopmentKeys.privateKeyPEM), keyID: keyID ?? DevelopmentKeys.keyID)
    }

    /// The token for `body`, issued at `issuedAt` (Unix seconds, now by default).
    /// - Parameters:
    ///   - extraHeader: members appended to the header after `kid` and `typ`.
    ///   - claims: claims to sign instead of `iat` and `request_body_sha256`.
    /// - Throws: ``JOSEError`` when signing fails.
    public func token(
        body: [UInt8], issuedAt: Int64 = Int64(Date().timeIntervalSince1970), extraHeader: [(String, JSONValue)] = [],
        claims: [(String, JSONValue)]? = nil
    ) throws -> String {
        try CompactJWS.sign(header: header(extra: extraHeader), claims: claims ?? Self.claims(body: body, issuedAt: issuedAt), key: key)
    }

    /// The header members before `alg` is added: `kid` (when set), `typ`, then `extra`.
    public func header(extra: [(String, JSONValue)] = []) -> [(String, JSONValue)] {
        var header: [(String, JSONValue)] = []
        if let keyID { header.append(("kid", .string(keyID))) }
        header.append(("typ", .string("JWT")))
        return header + extra
    }

    /// The claims Plaid and LinkMoney sign: `iat` and `request_body_sha256`.
    public static func claims(body: [UInt8], issuedAt: Int64) -> [(String, JSONValue)] {
        [("iat", .number(String(issuedAt))), ("request_body_sha256", .string(SHA256.hexHash(body)))]
    }
}
