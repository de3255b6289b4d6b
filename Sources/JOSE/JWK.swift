/// A JSON Web Key (RFC 7517) for EC P-256, as Plaid, LinkMoney and HookGate's own
/// key files carry it.
///
/// The wire names are short (`kty`, `crv`, `kid`); the Swift names are readable.
/// Decoding accepts any key; ``publicKey(requireSignatureUse:)`` decides whether it
/// may verify signatures.
public struct JWK: Codable, Sendable, Equatable {
    /// `kty`; must be `EC`.
    public var keyType: String
    /// `crv`; must be `P-256`.
    public var curve: String?
    /// `x`, base64url of the 32-byte big-endian x coordinate.
    public var x: String?
    /// `y`, base64url of the 32-byte big-endian y coordinate.
    public var y: String?
    /// `d`, the private scalar; present only in private JWKs.
    public var d: String?
    /// `kid`, the key id a token names in its header.
    public var keyID: String?
    /// `alg`; when present must be `ES256` for the key to verify.
    public var algorithm: String?
    /// `use`; when present must be `sig` for the key to verify.
    public var use: String?
    /// `created_at`, Unix seconds (Plaid and LinkMoney set it).
    public var createdAt: Int64?
    /// `expired_at`, Unix seconds, or `nil` while the key is current. A key with
    /// a non-nil value must no longer be accepted.
    public var expiredAt: Int64?

    enum CodingKeys: String, CodingKey {
        case keyType = "kty"
        case curve = "crv"
        case x, y, d
        case keyID = "kid"
        case algorithm = "alg"
        case use
        case createdAt = "created_at"
        case expiredAt = "expired_at"
    }

    /// Creates a JWK from its members.
    public init(
        keyType: String, curve: String?, x: String?, y: String?, d: String? = nil, keyID: String?,
        algorithm: String?, use: String?, createdAt: Int64?, expiredAt: Int64?
    ) {
        self.keyType = keyType
        self.curve = curve
        self.x = x
        self.y = y
        self.d = d
        self.keyID = keyID
        self.algorithm = algorithm
        self.use = use
        self.createdAt = createdAt
        self.expiredAt = expiredAt
    }

    /// This JWK without its private part, safe to publish.
    public var publicOnly: JWK {
        var copy = self
        copy.d = nil
        return copy
    }

    /// The P-256 public key this JWK describes.
    ///
    /// - Parameter requireSignatureUse: when `true` (for verification), a key whose
    ///   `use` is present and not `sig`, or whose `alg` is present and not `ES256`, is refused.
    /// - Throws: ``JOSEError/Code/invalidKey`` naming the member at fault: wrong `kty`
    ///   or `crv`, coordinates missing, not strict base64url, not 32 bytes, or off the curve.
    public func publicKey(requireSignatureUse: Bool = true) throws(JOSEError) -> P256PublicKey {
        guard keyType == "EC" else { throw JOSEError(.invalidKey, "`kty` is \(JSONValue.quote(keyType)); only EC keys are accepted") }
        guard curve == "P-256" else {
            throw JOSEError(.invalidKey, "`crv` is \(curve.map(JSONValue.quote) ?? "missing"); only P-256 is accepted")
        }
        if requireSignatureUse {
            if let use, use != "sig" { throw JOSEError(.invalidKey, "`use` is \(JSONValue.quote(use)), not \"sig\"") }
            if let algorithm, algorithm != "ES256" {
                throw JOSEError(.invalidKey, "`alg` is \(JSONValue.quote(algorithm)), not \"ES256\"")
            }
        }
        guard let x, let y else { throw JOSEError(.invalidKey, "`x` and `y` are required") }
        let xBytes: [UInt8]
        let yBytes: [UInt8]
        do {
            xBytes = try Base64URL.decode(x)
            yBytes = try Base64URL.decode(y)
        } catch {
            throw JOSEError(.invalidKey, "`x`/`y` are not strict base64url: \(error.reason)")
        }
        return try P256PublicKey(x: xBytes, y: yBytes)
    }
}
