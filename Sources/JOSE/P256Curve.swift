import COpenSSL
import Foundation

/// The P-256 group and the constants a fixed-key verify needs, made once per process.
///
/// Everything here but the scratch pool (under its lock) is read-only after `init`, and OpenSSL reads these objects without
/// mutating them (`EC_POINT_mul`, `BN_mod_exp_mont` with a prepared Montgomery
/// context), so one instance serves every thread. Per-call temporaries live in a
/// ``FixedKeyScratch`` taken from ``takeScratch()``.
final class P256Curve: @unchecked Sendable {
    /// The process's curve, or `nil` when OpenSSL could not build it (then every
    /// fixed-key verifier is unavailable and the standard verify is used).
    static let shared: P256Curve? = P256Curve()

    /// `EC_GROUP` of P-256, whose generator G has OpenSSL's built-in table.
    let group: OpaquePointer
    /// The group order n (owned by ``group``).
    let order: OpaquePointer
    /// The field prime p.
    let prime: OpaquePointer
    /// n - 2, the exponent of Fermat's inverse mod n.
    let orderMinusTwo: OpaquePointer
    /// Montgomery context for n.
    let orderMontgomery: OpaquePointer
    private let lock = NSLock()
    private var idle: [FixedKeyScratch] = []
    /// Idle scratch sets kept for reuse; more are made under load and freed on return.
    static let scratchLimit = 16

    private init?() {
        guard let group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1) else { return nil }
        guard let context = BN_CTX_new() else {
            EC_GROUP_free(group)
            return nil
        }
        defer { BN_CTX_free(context) }
        let prime = BN_new()
        let orderMinusTwo = BN_new()
        let montgomery = BN_MONT_CTX_new()
        guard let order = EC_GROUP_get0_order(group), let prime, let orderMinusTwo, let montgomery,
            EC_GROUP_get_curve(group, prime, nil, nil, context) == 1,
            BN_copy(orderMinusTwo, order) != nil, BN_sub_word(orderMinusTwo, 2) == 1,
            BN_MONT_CTX_set(montgomery, order, context) == 1
        else {
            BN_free(prime)
            BN_free(orderMinusTwo)
            BN_MONT_CTX_free(montgomery)
            EC_GROUP_free(group)
            ERR_clear_error()
            return nil
        }
        self.group = group
        self.order = order
        self.prime = prime
        self.orderMinusTwo = orderMinusTwo
        self.orderMontgomery = montgomery
    }

    /// A scratch set for one verify; give it back with ``giveBack(_:)``. `nil` only
    /// when OpenSSL cannot allocate.
    func takeScratch() -> FixedKeyScratch? {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        if let pooled { return pooled }
        return FixedKeyScratch(group: group)
    }

    /// Returns a scratch set taken with ``takeScratch()``.
    func giveBack(_ scratch: FixedKeyScratch) {
        lock.lock()
        if idle.count < P256Curve.scratchLimit { idle.append(scratch) }
        lock.unlock()
    }
}
