import COpenSSL
import Foundation

/// ES256 verification against one fixed public key, with a precomputed table of the
/// key's multiples: about half the CPU of OpenSSL's own `EVP_PKEY_verify`.
///
/// An ECDSA verify computes u1·G + u2·Q. OpenSSL keeps a table of multiples of the
/// generator G, but multiplies the public key Q with a variable-base method on every
/// call, which is most of a verify. A sender signs every webhook with the same few keys
/// for months, so this type builds the same kind of table for Q once: a copy of the
/// P-256 group whose generator is Q, prepared with `EC_GROUP_precompute_mult` (about
/// 25–35 ms of CPU and ``tableBytes`` of memory). The inverse of s is Fermat's
/// (`BN_mod_exp_mont` with n - 2), and x(R) is compared with r in Jacobian coordinates
/// (X = r·Z² or (r + n)·Z² mod p) instead of converting R to affine.
///
/// Every point and field operation is OpenSSL's (`EC_POINT_mul`, `EC_POINT_add`,
/// `BN_*`); this type only orders them as SEC 1 §4.1.4 says. How many tables exist at
/// once is bounded by a ``FixedKeyTableBudget``; an instance is immutable after `init`
/// and safe to use from any thread.
public final class FixedKeyVerifier: @unchecked Sendable {
    /// Memory of one table: the nistz256 method's 37 rows of 64 affine points of 64 bytes.
    public static let tableBytes = 37 * 64 * 64

    /// Whether the fixed-key path works on the OpenSSL this process runs on: its
    /// functions are present and a self-test (a fresh key, one valid and one altered
    /// signature, checked against `EVP_PKEY_verify`) agrees. Computed once. When
    /// `false`, ``P256PublicKey`` keeps using the standard verify.
    public static let isAvailable: Bool = selfTest()

    private let curve: P256Curve
    private let budget: FixedKeyTableBudget
    /// The copy of the P-256 group whose generator is the key Q, with its table.
    private let keyGroup: OpaquePointer

    /// Builds the table for `key`. Takes about 25–35 ms of CPU: call it off the hot path.
    /// - Throws: ``JOSEError/Code/cryptoFailure`` when OpenSSL lacks a needed function
    ///   or fails, when the table does not reproduce a variable-base multiplication of
    ///   the key, or when `budget` has no table left.
    public init(key: P256PublicKey, budget: FixedKeyTableBudget = .process) throws(JOSEError) {
        guard hookgate_fixed_key_functions_present() == 1, let curve = P256Curve.shared else {
            throw JOSEError(.cryptoFailure, "this OpenSSL lacks EC_GROUP_precompute_mult; use the standard verify")
        }
        guard budget.reserve() else {
            throw JOSEError(.cryptoFailure, "\(budget.limit) fixed-key tables are in use already")
        }
        guard let keyGroup = FixedKeyVerifier.makeKeyGroup(curve: curve, point: key.uncompressedPoint) else {
            budget.release()
            ERR_clear_error()
            throw JOSEError(.cryptoFailure, "OpenSSL could not build a fixed-key table for this key")
        }
        self.curve = curve
        self.budget = budget
        self.keyGroup = keyGroup
    }

    deinit {
        EC_GROUP_free(keyGroup)
        budget.release()
    }

    /// Verifies an ES256 signature (IEEE P1363 `R || S`, exactly 64 bytes) over a
    /// SHA-256 digest (32 bytes). Returns `true` only when it is valid; any other
    /// length, r or s outside [1, n-1], or an OpenSSL failure is `false`.
    public func isValidSignature(_ signature: [UInt8], forDigest digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { md in
                isValid(r: UnsafeBufferPointer(rebasing: sig[0..<32]), s: UnsafeBufferPointer(rebasing: sig[32..<64]), digest: md)
            }
        }
    }

    /// SEC 1 §4.1.4 with the steps in OpenSSL's primitives; `r`, `s` and `digest` are 32
    /// bytes big-endian.
    func isValid(r rBytes: UnsafeBufferPointer<UInt8>, s sBytes: UnsafeBufferPointer<UInt8>, digest: UnsafeBufferPointer<UInt8>) -> Bool {
        // Step 1: r and s in [1, n-1].
        guard P256PublicKey.inScalarRange(rBytes), P256PublicKey.inScalarRange(sBytes) else { return false }
        guard let scratch = curve.takeScratch() else {
            ERR_clear_error()
            return false
        }
        defer { curve.giveBack(scratch) }
        let valid = compute(scratch, rBytes, sBytes, digest)
        if !valid { ERR_clear_error() }
        return valid
    }

    private func compute(
        _ v: FixedKeyScratch, _ rBytes: UnsafeBufferPointer<UInt8>, _ sBytes: UnsafeBufferPointer<UInt8>, _ digest: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        let n = curve.order
        let p = curve.prime
        let mont = curve.orderMontgomery
        let ctx = v.context
        guard BN_bin2bn(rBytes.baseAddress, 32, v.r) != nil, BN_bin2bn(sBytes.baseAddress, 32, v.s) != nil,
            // Steps 2-3: e is the digest as an integer (SHA-256 has n's 256 bits: no
            // truncation); e < 2^256 < 2n, so one subtraction reduces it mod n.
            BN_bin2bn(digest.baseAddress, 32, v.e) != nil
        else { return false }
        if BN_cmp(v.e, n) >= 0, BN_sub(v.e, v.e, n) != 1 { return false }
        // Step 4: w = s^(n-2) mod n (n is prime; s is public, so no constant time needed).
        // Step 5: u1 = e·w, u2 = r·w mod n, multiplied in n's Montgomery domain.
        guard BN_mod_exp_mont(v.w, v.s, curve.orderMinusTwo, n, ctx, mont) == 1,
            BN_to_montgomery(v.wMontgomery, v.w, mont, ctx) == 1,
            BN_mod_mul_montgomery(v.u1, v.e, v.wMontgomery, mont, ctx) == 1,
            BN_mod_mul_montgomery(v.u2, v.r, v.wMontgomery, mont, ctx) == 1,
            // Step 5: R = u1·G (OpenSSL's table for G) + u2·Q (this key's table).
            EC_POINT_mul(curve.group, v.generatorPart, v.u1, nil, nil, ctx) == 1,
            EC_POINT_mul(keyGroup, v.keyPart, v.u2, nil, nil, ctx) == 1,
            EC_POINT_add(curve.group, v.sum, v.generatorPart, v.keyPart, ctx) == 1
        else { return false }
        // Step 5: R must not be the point at infinity.
        guard EC_POINT_is_at_infinity(curve.group, v.sum) == 0,
            hookgate_EC_POINT_get_Jprojective_coordinates(curve.group, v.sum, v.x, v.y, v.z, ctx) == 1,
            BN_nnmod(v.x, v.x, p, ctx) == 1,
            BN_mod_sqr(v.zSquared, v.z, p, ctx) == 1,
            BN_is_zero(v.zSquared) == 0
        else { return false }
        // Steps 6-8: accept iff x(R) mod n == r. x(R) = X/Z² lies in [0, p) and p < 2n, so
        // x(R) mod n == r exactly when x(R) == r, or x(R) == r + n where r + n < p.
        guard BN_mod_mul(v.product, v.r, v.zSquared, p, ctx) == 1 else { return false }
        if BN_cmp(v.product, v.x) == 0 { return true }
        guard BN_add(v.rPlusOrder, v.r, n) == 1, BN_cmp(v.rPlusOrder, p) < 0,
            BN_mod_mul(v.product, v.rPlusOrder, v.zSquared, p, ctx) == 1
        else { return false }
        return BN_cmp(v.product, v.x) == 0
    }

    /// Dups the P-256 group, makes `point` its generator, precomputes the table, and
    /// checks the table: 2·Q through it equals 2·Q by the variable-base method.
    private static func makeKeyGroup(curve: P256Curve, point: [UInt8]) -> OpaquePointer? {
        guard let context = BN_CTX_new() else { return nil }
        defer { BN_CTX_free(context) }
        guard let key = EC_POINT_new(curve.group) else { return nil }
        defer { EC_POINT_free(key) }
        guard point.withUnsafeBufferPointer({ EC_POINT_oct2point(curve.group, key, $0.baseAddress, $0.count, context) }) == 1,
            EC_POINT_is_on_curve(curve.group, key, context) == 1, EC_POINT_is_at_infinity(curve.group, key) == 0,
            let group = EC_GROUP_dup(curve.group)
        else { return nil }
        guard EC_GROUP_set_generator(group, key, curve.order, BN_value_one()) == 1,
            hookgate_EC_GROUP_precompute_mult(group, context) == 1,
            checkTable(group: group, curve: curve, key: key, context: context)
        else {
            EC_GROUP_free(group)
            return nil
        }
        return group
    }

    /// A multiplication through the new table must agree with OpenSSL's variable-base
    /// multiplication of the same point: a wrong table would otherwise go unnoticed
    /// until the first webhook is refused.
    private static func checkTable(group: OpaquePointer, curve: P256Curve, key: OpaquePointer, context: OpaquePointer) -> Bool {
        guard let scalar = BN_new() else { return false }
        defer { BN_free(scalar) }
        guard let viaTable = EC_POINT_new(curve.group), let direct = EC_POINT_new(curve.group) else { return false }
        defer {
            EC_POINT_free(viaTable)
            EC_POINT_free(direct)
        }
        guard BN_rand_range(scalar, curve.order) == 1, BN_is_zero(scalar) == 0,
            EC_POINT_mul(group, viaTable, scalar, nil, nil, context) == 1,
            EC_POINT_mul(curve.group, direct, nil, key, scalar, context) == 1
        else { return false }
        return EC_POINT_cmp(curve.group, viaTable, direct, context) == 0
    }

    /// One fresh key; a valid signature must verify and an altered one must not, both
    /// agreeing with `EVP_PKEY_verify`.
    private static func selfTest() -> Bool {
        guard hookgate_fixed_key_functions_present() == 1, P256Curve.shared != nil,
            let privateKey = try? P256PrivateKey.generate()
        else { return false }
        let message = Array("hookgate fixed-key self-test".utf8)
        guard var signature = try? privateKey.signature(for: message),
            let verifier = try? FixedKeyVerifier(key: privateKey.publicKey, budget: FixedKeyTableBudget(limit: 1))
        else { return false }
        let digest = SHA256.hash(message)
        let good = verifier.isValidSignature(signature, forDigest: digest)
        signature[63] ^= 1
        let altered = verifier.isValidSignature(signature, forDigest: digest)
        return good && !altered
    }
}
