import Foundation
import JOSE
import Testing

/// Project Wycheproof's ECDSA P-256/SHA-256 P1363 vectors (Apache-2.0, C2SP/wycheproof dac1dd4).
@Suite struct WycheproofTests {
    struct Vector: Decodable {
        let tcId: Int
        let comment: String
        let msg: String
        let sig: String
        let result: String
    }

    struct Group: Decodable {
        struct Key: Decodable {
            let uncompressed: String
        }
        let publicKey: Key
        let publicKeyJwk: JWK?
        let tests: [Vector]
    }

    struct File: Decodable {
        let numberOfTests: Int
        let testGroups: [Group]
    }

    static func load() throws -> File {
        let url = try #require(Bundle.module.url(forResource: "ecdsa_secp256r1_sha256_p1363_test", withExtension: "json", subdirectory: "Resources"))
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    @Test func everyVectorHasTheExpectedOutcome() throws {
        let file = try Self.load()
        var valid = 0
        var invalid = 0
        var failures: [String] = []
        for group in file.testGroups {
            let key = try P256PublicKey(uncompressedPoint: try #require(Hex.decode(group.publicKey.uncompressed)))
            if let jwk = group.publicKeyJwk {
                let jwkKey = try jwk.publicKey()
                #expect(jwkKey.coordinates.x == key.coordinates.x && jwkKey.coordinates.y == key.coordinates.y)
            }
            for vector in group.tests {
                let message = try #require(Hex.decode(vector.msg))
                let signature = try #require(Hex.decode(vector.sig))
                let verified = key.isValidSignature(signature, for: message)
                switch vector.result {
                case "valid":
                    valid += 1
                    if !verified { failures.append("tc \(vector.tcId) (\(vector.comment)) should verify") }
                case "invalid":
                    invalid += 1
                    if verified { failures.append("tc \(vector.tcId) (\(vector.comment)) must not verify") }
                default:
                    failures.append("tc \(vector.tcId): unexpected result kind \(vector.result)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(valid + invalid == file.numberOfTests)
        #expect(valid + invalid == 262)
        #expect(valid > 0 && invalid > 0)
    }
}
