import JOSE

/// The fixed-key ES256 verifier checked against OpenSSL's `EVP_DigestVerify`, eight
/// signatures an input: a valid one over the input, its high-s twin, r and s altered
/// where the input says, r and s replaced by an edge value (0, 1, n-1, n, n+1, p-1, p,
/// 2^256-1) or by input bytes, another key's signature, and an altered message. Any
/// disagreement stops the run (a crash the fuzzer keeps).
enum Differential {
    static let signer = try! P256PrivateKey.generate()
    static let other = try! P256PrivateKey.generate()
    static let key = signer.publicKey
    static let verifier = try! FixedKeyVerifier(key: key, budget: FixedKeyTableBudget(limit: 1))
    static let order: [UInt8] = Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!
    static let prime: [UInt8] = Hex.decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")!
    static let edges: [[UInt8]] = [
        word(0), word(1), subtract(order, word(1)), order, add(order, word(1)), subtract(prime, word(1)), prime,
        [UInt8](repeating: 0xFF, count: 32),
    ]

    static func check(_ input: [UInt8]) {
        let message = input
        guard let signature = try? signer.signature(for: message) else { fatalError("could not sign") }
        let r = Array(signature[0..<32])
        let s = Array(signature[32..<64])
        let pick = { (index: Int) -> Int in input.isEmpty ? index : Int(input[index % input.count]) &+ index }
        compare(signature, message, "valid")
        compare(r + subtract(order, s), message, "high-s")
        var altered = signature
        altered[pick(0) % 32] ^= UInt8(1 << (pick(1) % 8))
        compare(altered, message, "r altered")
        altered = signature
        altered[32 + pick(2) % 32] ^= UInt8(1 << (pick(3) % 8))
        compare(altered, message, "s altered")
        compare(edges[pick(4) % edges.count] + s, message, "r edge")
        compare(r + edges[pick(5) % edges.count], message, "s edge")
        let raw = (0..<64).map { UInt8(truncatingIfNeeded: pick($0 + 6)) }
        compare(pick(6) % 2 == 0 ? raw : (try! other.signature(for: message)), message, "input bytes or another key")
        compare(signature, message + [UInt8(truncatingIfNeeded: pick(7))], "message altered")
    }

    static func compare(_ signature: [UInt8], _ message: [UInt8], _ label: String) {
        let fast = verifier.isValidSignature(signature, forDigest: SHA256.hash(message))
        let reference = key.isValidSignatureByOpenSSL(signature, for: message)
        precondition(fast == reference, "\(label): fixed-key \(fast), EVP_DigestVerify \(reference), signature \(Hex.encode(signature))")
    }

    static func word(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }

    static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var carry = 0
        for i in (0..<32).reversed() {
            let sum = Int(a[i]) + Int(b[i]) + carry
            out[i] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        return out
    }

    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            var difference = Int(a[i]) - Int(b[i]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            out[i] = UInt8(difference)
        }
        return out
    }
}
