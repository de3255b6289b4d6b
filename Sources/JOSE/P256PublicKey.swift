import COpenSSL

/// An EC P-256 public key held by the system OpenSSL, used to verify ES256 signatures.
///
/// Construction checks the point fully (on the curve, not the point at infinity), so
/// a key that exists is a key that is safe to verify with. Instances are immutable
/// and safe to share between tasks: OpenSSL keys are reference-counted and verifying
/// does not mutate them.
public final class P256PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer

    /// The P-256 group order n, big-endian; valid r and s lie in [1, n-1].
    static let order: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ]

    /// Creates a key from its affine coordinates, each exactly 32 bytes big-endian.
    /// - Throws: ``JOSEError/Code/invalidKey`` when a coordinate has the wrong length or
    ///   the point is not on P-256.
    public convenience init(x: [UInt8], y: [UInt8]) throws(JOSEError) {
        guard x.count == 32, y.count == 32 else {
            throw JOSEError(.invalidKey, "P-256 coordinates must be 32 bytes each (got \(x.count) and \(y.count))")
        }
        try self.init(uncompressedPoint: [0x04] + x + y)
    }

    /// Creates a key from an uncompressed SEC1 point (`04 || x || y`, 65 bytes).
    /// - Throws: ``JOSEError/Code/invalidKey`` when the encoding is wrong or the point is not on P-256.
    public init(uncompressedPoint point: [UInt8]) throws(JOSEError) {
        guard point.count == 65, point[0] == 0x04 else {
            throw JOSEError(.invalidKey, "expected a 65-byte uncompressed P-256 point")
        }
        guard let key = P256PublicKey.makeKey(point: point) else {
            ERR_clear_error()
            throw JOSEError(.invalidKey, "the point is not on the P-256 curve")
        }
        pkey = key
    }

    private static func makeKey(point: [UInt8]) -> OpaquePointer? {
        guard let key = point.withUnsafeBufferPointer({ hookgate_p256_from_data($0.baseAddress, $0.count, nil, 0) }) else { return nil }
        // fromdata decodes the point; the explicit check also rejects infinity and
        // points outside the prime-order subgroup.
        guard let checkContext = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else {
            EVP_PKEY_free(key)
            return nil
        }
        defer { EVP_PKEY_CTX_free(checkContext) }
        guard EVP_PKEY_public_check(checkContext) == 1 else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }

    init(owning key: OpaquePointer) {
        pkey = key
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// The affine coordinates, 32 bytes each, big-endian.
    public var coordinates: (x: [UInt8], y: [UInt8]) {
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        _ = point.withUnsafeMutableBufferPointer {
            EVP_PKEY_get_octet_string_param(pkey, "pub", $0.baseAddress, 65, &length)
        }
        return (Array(point[1..<33]), Array(point[33..<65]))
    }

    /// Verifies an ES256 signature over `message`.
    ///
    /// - Parameters:
    ///   - signature: IEEE P1363 encoding, exactly 64 bytes `R || S`; any other
    ///     length (including DER) is rejected.
    ///   - message: the signed bytes (for JWS, the ASCII signing input); hashed with SHA-256 here.
    /// - Returns: `true` only when the signature is valid; never throws for a bad signature.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        let digest = SHA256.hash(message)
        return isValidSignature(signature, forDigest: digest)
    }

    /// Verifies an ES256 signature over a precomputed SHA-256 digest (32 bytes).
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        let r = Array(signature[0..<32])
        let s = Array(signature[32..<64])
        guard P256PublicKey.inScalarRange(r), P256PublicKey.inScalarRange(s) else { return false }
        guard let der = P256PublicKey.derSignature(r: r, s: s) else {
            ERR_clear_error()
            return false
        }
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else {
            ERR_clear_error()
            return false
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_verify_init(ctx) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = der.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { md in
                EVP_PKEY_verify(ctx, sig.baseAddress, sig.count, md.baseAddress, md.count)
            }
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// 1 <= value <= n-1, compared on the fixed-width big-endian bytes.
    static func inScalarRange(_ value: [UInt8]) -> Bool {
        guard value.contains(where: { $0 != 0 }) else { return false }
        for (a, b) in zip(value, order) where a != b {
            return a < b
        }
        return false  // equal to n
    }

    /// Converts R||S to the DER `ECDSA-Sig-Value` OpenSSL verifies.
    static func derSignature(r: [UInt8], s: [UInt8]) -> [UInt8]? {
        guard let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        guard let rBN = BN_bin2bn(r, Int32(r.count), nil) else { return nil }
        guard let sBN = BN_bin2bn(s, Int32(s.count), nil) else {
            BN_free(rBN)
            return nil
        }
        guard ECDSA_SIG_set0(sig, rBN, sBN) == 1 else {
            BN_free(rBN)
            BN_free(sBN)
            return nil
        }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard written == length else { return nil }
        return der
    }
}
