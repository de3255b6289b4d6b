import COpenSSL

/// The OpenSSL temporaries of one fixed-key verify: a `BN_CTX`, the BIGNUMs of the
/// scalars and coordinates, and three points. Used by one thread at a time (taken
/// from and given back to ``P256Curve``), so a verify allocates nothing of its own.
/// `@unchecked Sendable`: it crosses threads only through the pool's lock, never shared.
final class FixedKeyScratch: @unchecked Sendable {
    let context: OpaquePointer
    let r: OpaquePointer
    let s: OpaquePointer
    let e: OpaquePointer
    let w: OpaquePointer
    let wMontgomery: OpaquePointer
    let u1: OpaquePointer
    let u2: OpaquePointer
    let x: OpaquePointer
    let y: OpaquePointer
    let z: OpaquePointer
    let zSquared: OpaquePointer
    let product: OpaquePointer
    let rPlusOrder: OpaquePointer
    /// u1·G.
    let generatorPart: OpaquePointer
    /// u2·Q.
    let keyPart: OpaquePointer
    /// u1·G + u2·Q.
    let sum: OpaquePointer
    private let numbers: [OpaquePointer]

    init?(group: OpaquePointer) {
        guard let context = BN_CTX_new() else { return nil }
        var numbers: [OpaquePointer] = []
        for _ in 0..<13 {
            guard let number = BN_new() else {
                numbers.forEach { BN_free($0) }
                BN_CTX_free(context)
                return nil
            }
            numbers.append(number)
        }
        guard let generatorPart = EC_POINT_new(group), let keyPart = EC_POINT_new(group), let sum = EC_POINT_new(group) else {
            numbers.forEach { BN_free($0) }
            BN_CTX_free(context)
            ERR_clear_error()
            return nil
        }
        self.context = context
        self.numbers = numbers
        (r, s, e, w, wMontgomery, u1, u2) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5], numbers[6])
        (x, y, z, zSquared, product, rPlusOrder) = (numbers[7], numbers[8], numbers[9], numbers[10], numbers[11], numbers[12])
        self.generatorPart = generatorPart
        self.keyPart = keyPart
        self.sum = sum
    }

    deinit {
        numbers.forEach { BN_clear_free($0) }
        EC_POINT_free(generatorPart)
        EC_POINT_free(keyPart)
        EC_POINT_free(sum)
        BN_CTX_free(context)
    }
}
