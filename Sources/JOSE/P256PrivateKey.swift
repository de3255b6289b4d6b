import COpenSSL

/// An EC P-256 private key held by the system OpenSSL, for signing ES256 tokens.
///
/// HookGate signs only for development, replay and tests; production senders sign
/// with their own keys. Instances are immutable and safe to share between tasks.
public final class P256PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer

    private init(owning key: OpaquePointer) {
        pkey = key
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Generates a fresh key from OpenSSL's CSPRNG.
    /// - Throws: ``JOSEError/Code/cryptoFailure`` when OpenSSL cannot generate one.
    public static func generate() throws(JOSEError) -> P256PrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1,
            hookgate_EVP_PKEY_CTX_set_ec_curve_nid(ctx, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(ctx, &key) == 1,
            let key
        else { throw OpenSSLError.failure("P-256 key generation") }
        return P256PrivateKey(owning: key)
    }

    /// Reads a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    /// - Throws: ``JOSEError/Code/invalidKey`` when the PEM is unreadable, encrypted, or not a P-256 key.
    public convenience init(pem: String) throws(JOSEError) {
        let bytes = Array(pem.utf8)
        let read: OpaquePointer? = bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let read else {
            ERR_clear_error()
            throw JOSEError(.invalidKey, "not a readable unencrypted PEM private key")
        }
        guard P256PrivateKey.isP256(read) else {
            EVP_PKEY_free(read)
            throw JOSEError(.invalidKey, "the PEM key is not an EC P-256 key")
        }
        self.init(owning: read)
    }

    /// Creates a key from a private JWK (`kty` EC, `crv` P-256, `x`, `y`, `d`).
    /// - Throws: ``JOSEError/Code/invalidKey`` when a member is missing or wrong, or `d` does not match `x`/`y`.
    public convenience init(jwk: JWK) throws(JOSEError) {
        let publicKey = try jwk.publicKey(requireSignatureUse: false)
        guard let dText = jwk.d else { throw JOSEError(.invalidKey, "the JWK has no private part `d`") }
        let d = try Base64URL.decode(dText)
        guard d.count == 32 else { throw JOSEError(.invalidKey, "`d` must be 32 bytes (got \(d.count))") }
        let (x, y) = publicKey.coordinates
        guard let key = P256PrivateKey.makeKey(d: d, point: [0x04] + x + y) else {
            ERR_clear_error()
            throw JOSEError(.invalidKey, "`d` is not a valid P-256 private key for this `x`/`y`")
        }
        self.init(owning: key)
    }

    private static func makeKey(d: [UInt8], point: [UInt8]) -> OpaquePointer? {
        let made = point.withUnsafeBufferPointer { pub in
            d.withUnsafeBufferPointer { priv in hookgate_p256_from_data(pub.baseAddress, pub.count, priv.baseAddress, priv.count) }
        }
        guard let key = made else { return nil }
        guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            EVP_PKEY_free(key)
            return nil
        }
        defer { EVP_PKEY_CTX_free(check) }
        guard EVP_PKEY_pairwise_check(check) == 1 else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }

    private static func isP256(_ key: OpaquePointer) -> Bool {
        guard EVP_PKEY_is_a(key, "EC") == 1 else { return false }
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(key, "group", &name, name.count, &length) == 1 else { return false }
        let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return group == "prime256v1" || group == "P-256" || group == "secp256r1"
    }

    /// The PKCS#8 PEM encoding of this private key (unencrypted: protect the file).
    public func pemRepresentation() throws(JOSEError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.failure("BIO_new") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1 else { throw OpenSSLError.failure("PEM_write_bio_PrivateKey") }
        var data: UnsafeMutablePointer<CChar>?
        let length = hookgate_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw OpenSSLError.failure("BIO_get_mem_data") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    /// The matching public key.
    public var publicKey: P256PublicKey {
        // The public half is always present in a key OpenSSL generated or read.
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        _ = point.withUnsafeMutableBufferPointer { EVP_PKEY_get_octet_string_param(pkey, "pub", $0.baseAddress, 65, &length) }
        // A valid private key always yields a valid public point.
        return try! P256PublicKey(uncompressedPoint: point)
    }

    /// The public JWK for this key, with `kid`, `alg` ES256 and `use` sig.
    public func publicJWK(keyID: String?, createdAt: Int64? = nil) -> JWK {
        let (x, y) = publicKey.coordinates
        return JWK(
            keyType: "EC", curve: "P-256", x: Base64URL.encode(x), y: Base64URL.encode(y),
            keyID: keyID, algorithm: "ES256", use: "sig", createdAt: createdAt, expiredAt: nil
        )
    }

    /// The private JWK (`d` included): handle like the PEM.
    public func privateJWK(keyID: String?) throws(JOSEError) -> JWK {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, "priv", &bn) == 1, let bn else { throw OpenSSLError.failure("EVP_PKEY_get_bn_param(priv)") }
        defer { BN_clear_free(bn) }
        var d = [UInt8](repeating: 0, count: 32)
        guard d.withUnsafeMutableBufferPointer({ BN_bn2binpad(bn, $0.baseAddress, 32) }) == 32 else { throw OpenSSLError.failure("BN_bn2binpad") }
        var jwk = publicJWK(keyID: keyID)
        jwk.d = Base64URL.encode(d)
        return jwk
    }

    /// Signs `message` with ES256 and returns the 64-byte IEEE P1363 signature `R || S`.
    /// - Throws: ``JOSEError/Code/cryptoFailure`` when OpenSSL fails.
    public func signature(for message: [UInt8]) throws(JOSEError) -> [UInt8] {
        let digest = SHA256.hash(message)
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_pkey") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_sign_init(ctx) == 1 else { throw OpenSSLError.failure("EVP_PKEY_sign_init") }
        var length = 0
        guard EVP_PKEY_sign(ctx, nil, &length, digest, digest.count) == 1 else { throw OpenSSLError.failure("EVP_PKEY_sign (size)") }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_sign(ctx, &der, &length, digest, digest.count) == 1 else { throw OpenSSLError.failure("EVP_PKEY_sign") }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, length)
        }
        guard let parsed else { throw OpenSSLError.failure("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(parsed) }
        var out = [UInt8](repeating: 0, count: 64)
        guard let r = ECDSA_SIG_get0_r(parsed), let s = ECDSA_SIG_get0_s(parsed),
            out.withUnsafeMutableBufferPointer({ BN_bn2binpad(r, $0.baseAddress, 32) }) == 32,
            out.withUnsafeMutableBufferPointer({ BN_bn2binpad(s, $0.baseAddress! + 32, 32) }) == 32
        else { throw OpenSSLError.failure("ECDSA_SIG to P1363") }
        return out
    }
}
