import COpenSSL
import Foundation

/// A few `EVP_PKEY_verify_init`-ed contexts for one key.
///
/// Creating a context per call (`EVP_PKEY_CTX_new_from_pkey` + `EVP_PKEY_verify_init`,
/// which fetches the ECDSA signature implementation and duplicates provider state) is
/// pure overhead once the key is fixed. A context is not safe to use from two threads
/// at once, so a call takes one out under the lock, verifies without the lock, and
/// gives it back; the pool keeps at most ``limit`` idle contexts.
final class VerifyContextPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []
    static let limit = 16

    init() { idle.reserveCapacity(VerifyContextPool.limit) }

    func take(for pkey: OpaquePointer) -> OpaquePointer? {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        if let pooled { return pooled }
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return nil }
        guard EVP_PKEY_verify_init(ctx) == 1 else {
            EVP_PKEY_CTX_free(ctx)
            return nil
        }
        return ctx
    }

    func giveBack(_ ctx: OpaquePointer) {
        lock.lock()
        if idle.count < VerifyContextPool.limit {
            idle.append(ctx)
            lock.unlock()
        } else {
            lock.unlock()
            EVP_PKEY_CTX_free(ctx)
        }
    }

    func freeAll() {
        lock.lock()
        let all = idle
        idle.removeAll()
        lock.unlock()
        for ctx in all { EVP_PKEY_CTX_free(ctx) }
    }
}
