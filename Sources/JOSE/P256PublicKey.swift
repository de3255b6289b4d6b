import COpenSSL
import Foundation

/// An EC P-256 public key held by the system OpenSSL, used to verify ES256 signatures.
///
/// Construction checks the point fully (on the curve, not the point at infinity), so
/// a key that exists is a key that is safe to verify with. Instances are immutable
/// and safe to share between tasks: OpenSSL keys are reference-counted and verifying
/// does not mutate them.
public final class P256PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer
    /// Verify-initialised contexts for `pkey`, reused across calls (see ``VerifyContextPool``).
    private let verifyContexts = VerifyContextPool()
    /// This key's ``FixedKeyVerifier`` once ``prepareFixedKeyVerifier()`` has built it
    /// (set once, under ``fixedKeyLock``; read on every verify).
    private var fixedKeyVerifier: FixedKeyVerifier?
    private let fixedKeyLock = NSLock()
    private var fixedKey: FixedKeyVerifier? { fixedKeyLock.withLock { fixedKeyVerifier } }

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

    deinit {
        verifyContexts.freeAll()
        EVP_PKEY_free(pkey)
    }

    /// The affine coordinates, 32 bytes each, big-endian.
    public var coordinates: (x: [UInt8], y: [UInt8]) {
        let point = uncompressedPoint
        return (Array(point[1..<33]), Array(point[33..<65]))
    }

    /// The uncompressed SEC1 point, `04 || x || y` (65 bytes).
    public var uncompressedPoint: [UInt8] {
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        _ = point.withUnsafeMutableBufferPointer {
            EVP_PKEY_get_octet_string_param(pkey, "pub", $0.baseAddress, 65, &length)
        }
        return point
    }

    /// Whether verifies with this key take the fixed-key path (see ``FixedKeyVerifier``).
    public var usesFixedKeyTable: Bool { fixedKey != nil }

    /// Builds this key's ``FixedKeyVerifier`` so that later verifies take half the CPU.
    ///
    /// Synchronous, about 25–35 ms of CPU and ``FixedKeyVerifier/tableBytes`` of memory
    /// for the key's life: call it off the hot path, or use
    /// ``prepareFixedKeyVerifierInBackground()``. Until it returns, verifies use
    /// `EVP_PKEY_verify`. Returns `false`, and the key keeps the standard verify, when
    /// the fixed-key path is unavailable on this OpenSSL or the table limit is reached.
    @discardableResult
    public func prepareFixedKeyVerifier() -> Bool {
        if fixedKey != nil { return true }
        guard FixedKeyVerifier.isAvailable, let verifier = try? FixedKeyVerifier(key: self) else { return false }
        fixedKeyLock.withLock {
            if fixedKeyVerifier == nil { fixedKeyVerifier = verifier }
        }
        return true
    }

    /// ``prepareFixedKeyVerifier()`` on a background queue of utility priority; returns at once.
    public func prepareFixedKeyVerifierInBackground() {
        guard fixedKey == nil else { return }
        P256PublicKey.tableBuilder.async { [self] in prepareFixedKeyVerifier() }
    }

    /// One serial queue builds tables, so a burst of new keys costs one core at most.
    private static let tableBuilder = DispatchQueue(label: "hookgate.fixed-key-tables", qos: .utility)

    /// Waits until every table asked for with ``prepareFixedKeyVerifierInBackground()``
    /// before this call is built (or has failed). For tests and tools that need to know.
    public static func finishBackgroundTables() { tableBuilder.sync {} }

    /// Verifies with OpenSSL's one-shot `EVP_DigestVerify` (SHA-256, DER signature made
    /// from `R || S`), never through the fixed-key table or the pooled contexts: the
    /// reference the fast paths are tested against. Any signature length other than 64
    /// bytes is `false`; r and s are passed to OpenSSL unchecked, whatever their value.
    public func isValidSignatureByOpenSSL(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        guard let md = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(md)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit_ex(md, nil, "SHA256", nil, nil, pkey, nil) == 1 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buffer in
                let length = P256PublicKey.encodeDER(
                    r: UnsafeBufferPointer(rebasing: sig[0..<32]), s: UnsafeBufferPointer(rebasing: sig[32..<64]), into: buffer)
                return message.withUnsafeBufferPointer { EVP_DigestVerify(md, buffer.baseAddress, length, $0.baseAddress, $0.count) } == 1
            }
        }
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

    /// Verifies an ES256 signature over a precomputed SHA-256 digest (32 bytes), through
    /// the key's ``FixedKeyVerifier`` once it is built, through `EVP_PKEY_verify` until then.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            let r = UnsafeBufferPointer(rebasing: sig[0..<32])
            let s = UnsafeBufferPointer(rebasing: sig[32..<64])
            guard P256PublicKey.inScalarRange(r), P256PublicKey.inScalarRange(s) else { return false }
            if let fixed = fixedKey {
                return digest.withUnsafeBufferPointer { fixed.isValid(r: r, s: s, digest: $0) }
            }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buffer in
                let length = P256PublicKey.encodeDER(r: r, s: s, into: buffer)
                return verify(der: UnsafeBufferPointer(rebasing: buffer[..<length]), digest: digest)
            }
        }
    }

    /// One `EVP_PKEY_verify` on a pooled, already-initialised context.
    private func verify(der: UnsafeBufferPointer<UInt8>, digest: [UInt8]) -> Bool {
        guard let ctx = verifyContexts.take(for: pkey) else {
            ERR_clear_error()
            return false
        }
        let result = digest.withUnsafeBufferPointer { md in
            EVP_PKEY_verify(ctx, der.baseAddress, der.count, md.baseAddress, md.count)
        }
        if result == 1 || result == 0 {
            verifyContexts.giveBack(ctx)  // 0 is an ordinary mismatch; the context is still good
        } else {
            EVP_PKEY_CTX_free(ctx)  // an internal error: do not reuse this context
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// 1 <= value <= n-1, compared on the fixed-width big-endian bytes.
    static func inScalarRange(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.contains(where: { $0 != 0 }) else { return false }
        for (a, b) in zip(value, order) where a != b {
            return a < b
        }
        return false  // equal to n
    }

    /// Writes R||S as the DER `ECDSA-Sig-Value` OpenSSL verifies,
    /// `SEQUENCE { INTEGER r, INTEGER s }`, byte for byte what `i2d_ECDSA_SIG` writes
    /// (minimal INTEGERs: leading zeros dropped, one 0x00 added when the top bit is set),
    /// without BIGNUMs or an ECDSA_SIG. `r` and `s` are 32 bytes, non-zero; `out` holds
    /// at least 72 bytes. Returns the length written.
    static func encodeDER(r: UnsafeBufferPointer<UInt8>, s: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(r.count == 32 && s.count == 32 && out.count >= 72)
        func shape(_ v: UnsafeBufferPointer<UInt8>) -> (skip: Int, pad: Int) {
            var skip = 0
            while skip < 31, v[skip] == 0 { skip += 1 }
            return (skip, v[skip] & 0x80 != 0 ? 1 : 0)
        }
        let (rSkip, rPad) = shape(r)
        let (sSkip, sPad) = shape(s)
        let rLength = 32 - rSkip + rPad
        let sLength = 32 - sSkip + sPad
        var i = 0
        func put(_ byte: UInt8) {
            out[i] = byte
            i += 1
        }
        put(0x30)
        put(UInt8(2 + rLength + 2 + sLength))  // at most 70: short-form length
        put(0x02)
        put(UInt8(rLength))
        if rPad == 1 { put(0) }
        for k in rSkip..<32 { put(r[k]) }
        put(0x02)
        put(UInt8(sLength))
        if sPad == 1 { put(0) }
        for k in sSkip..<32 { put(s[k]) }
        return i
    }
}
