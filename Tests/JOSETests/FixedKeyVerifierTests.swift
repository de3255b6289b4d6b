import Foundation
import Testing

@testable import JOSE

/// The fixed-key ES256 verifier against Wycheproof and, differentially, against
/// OpenSSL's own `EVP_DigestVerify` (the 10-million-signature run is the fuzz target's
/// differential mode; see docs/performance.md).
@Suite struct FixedKeyVerifierTests {
    /// P-256's order n and prime p, big-endian.
    static let order = P256PublicKey.order
    static let prime: [UInt8] = Hex.decode("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")!

    /// Big-endian 256-bit arithmetic for the edge values (n - s, n + 1, ...).
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

    static func word(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }

    /// The scalar edge values: 0, 1, n-1, n, n+1, p, p-1, 2^256-1.
    static var edgeValues: [[UInt8]] {
        [
            word(0), word(1), subtract(order, word(1)), order, add(order, word(1)), prime, subtract(prime, word(1)),
            [UInt8](repeating: 0xFF, count: 32),
        ]
    }

    @Test func isAvailableOnThisOpenSSL() {
        #expect(FixedKeyVerifier.isAvailable)
    }

    @Test func everyWycheproofVectorHasTheExpectedOutcome() throws {
        let file = try WycheproofTests.load()
        var checked = 0
        var failures: [String] = []
        for group in file.testGroups {
            let key = try P256PublicKey(uncompressedPoint: try #require(Hex.decode(group.publicKey.uncompressed)))
            let verifier = try FixedKeyVerifier(key: key, budget: FixedKeyTableBudget(limit: 1))
            for vector in group.tests {
                let message = try #require(Hex.decode(vector.msg))
                let signature = try #require(Hex.decode(vector.sig))
                let verified = verifier.isValidSignature(signature, forDigest: SHA256.hash(message))
                checked += 1
                if verified != (vector.result == "valid") {
                    failures.append("tc \(vector.tcId) (\(vector.comment)): \(verified ? "verified" : "refused")")
                }
                if verified != key.isValidSignatureByOpenSSL(signature, for: message) {
                    failures.append("tc \(vector.tcId): disagrees with EVP_DigestVerify")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(checked == 262)
    }

    /// Valid, high-s, altered r and s, every edge value for r and for s, another key's
    /// signature and an altered digest: the verdict always equals EVP_DigestVerify's.
    @Test func agreesWithEVPDigestVerifyOnMutatedSignatures() throws {
        let signer = try P256PrivateKey.generate()
        let other = try P256PrivateKey.generate()
        let key = signer.publicKey
        let verifier = try FixedKeyVerifier(key: key, budget: FixedKeyTableBudget(limit: 1))
        var generator = SystemRandomNumberGenerator()
        var cases = 0
        var accepted = 0
        var disagreements: [String] = []
        func check(_ signature: [UInt8], _ message: [UInt8], _ label: String) {
            let fast = verifier.isValidSignature(signature, forDigest: SHA256.hash(message))
            let reference = key.isValidSignatureByOpenSSL(signature, for: message)
            cases += 1
            if fast { accepted += 1 }
            if fast != reference { disagreements.append("\(label): fixed \(fast), OpenSSL \(reference), sig \(Hex.encode(signature))") }
        }
        for round in 0..<300 {
            let message = (0..<(round % 97 + 1)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let signature = try signer.signature(for: message)
            let r = Array(signature[0..<32])
            let s = Array(signature[32..<64])
            check(signature, message, "valid")
            check(r + Self.subtract(Self.order, s), message, "high-s")
            var flipped = signature
            flipped[Int.random(in: 0..<32, using: &generator)] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            check(flipped, message, "r altered")
            flipped = signature
            flipped[Int.random(in: 32..<64, using: &generator)] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            check(flipped, message, "s altered")
            check(try other.signature(for: message), message, "another key")
            check(signature, message + [0], "message altered")
            check((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }, message, "random")
            if round < 8 {
                for (index, edge) in Self.edgeValues.enumerated() {
                    check(edge + s, message, "r = edge \(index)")
                    check(r + edge, message, "s = edge \(index)")
                    check(Self.add(r, Self.order) + s, message, "r + n")
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(cases == 300 * 7 + 8 * 24)
        #expect(accepted == 600)  // the valid and the high-s signature of each round
    }

    /// The branches a short verify could get wrong, each by its Wycheproof vector: x(R)
    /// >= n (accepted through r + n), R at infinity, r + n >= p, r + n past 2^256.
    @Test(arguments: [
        ("k*G has a large x-coordinate", true),
        ("point at infinity during verify", false),
        ("comparison with point at infinity ", false),
        ("r = p - n + 5, x = 5 is invalid; r is too large to compare r + n with x", false),
        ("r = 2^256 - n + 5, x = 5 is invalid; r + n is too large to compare r + n with x, and overflows 2^256 bits", false),
    ])
    func theEdgeBranchesOfTheComparison(comment: String, valid: Bool) throws {
        let file = try WycheproofTests.load()
        var found = 0
        for group in file.testGroups {
            for vector in group.tests where vector.comment == comment {
                let key = try P256PublicKey(uncompressedPoint: try #require(Hex.decode(group.publicKey.uncompressed)))
                let verifier = try FixedKeyVerifier(key: key, budget: FixedKeyTableBudget(limit: 1))
                let digest = SHA256.hash(try #require(Hex.decode(vector.msg)))
                #expect(verifier.isValidSignature(try #require(Hex.decode(vector.sig)), forDigest: digest) == valid)
                found += 1
            }
        }
        #expect(found == 1)
    }

    @Test func aKeyUsesItsTableOnceBuiltAndVerifiesTheSameBeforeAndAfter() throws {
        let signer = try P256PrivateKey.generate()
        let key = signer.publicKey
        let message = Array("before and after".utf8)
        let signature = try signer.signature(for: message)
        #expect(!key.usesFixedKeyTable)
        #expect(key.isValidSignature(signature, for: message))
        key.prepareFixedKeyVerifierInBackground()
        P256PublicKey.finishBackgroundTables()
        #expect(key.usesFixedKeyTable)
        #expect(key.isValidSignature(signature, for: message))
        var altered = signature
        altered[10] ^= 0x40
        #expect(!key.isValidSignature(altered, for: message))
    }

    @Test func theBudgetBoundsLiveTablesAndFreesThemWithTheirVerifiers() throws {
        let budget = FixedKeyTableBudget(limit: 2)
        let key = try P256PrivateKey.generate().publicKey
        var first: FixedKeyVerifier? = try FixedKeyVerifier(key: key, budget: budget)
        let second = try FixedKeyVerifier(key: key, budget: budget)
        #expect(budget.inUse == 2)
        #expect(budget.bytesInUse == 2 * 151_552)
        #expect(throws: JOSEError(.cryptoFailure, "")) { try FixedKeyVerifier(key: key, budget: budget) }
        #expect(budget.inUse == 2)
        #expect(first != nil)
        first = nil
        #expect(budget.inUse == 1)
        _ = try FixedKeyVerifier(key: key, budget: budget)
        #expect(budget.inUse == 1)  // the third was freed at the end of the statement
        _ = second
    }
}
