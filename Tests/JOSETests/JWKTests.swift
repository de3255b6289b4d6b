import Foundation
import JOSE
import Testing

@Suite struct JWKTests {
    static func publicJWK() throws -> JWK {
        try P256PrivateKey.generate().publicJWK(keyID: "k1")
    }

    @Test func generatedJWKRoundTripsThroughJSON() throws {
        let jwk = try Self.publicJWK()
        let data = try JSONEncoder().encode(JWKSet(keys: [jwk]))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"kty\":\"EC\"") && text.contains("\"crv\":\"P-256\"") && text.contains("\"kid\":\"k1\""))
        let decoded = try JSONDecoder().decode(JWKSet.self, from: data)
        #expect(decoded.keys == [jwk])
        _ = try decoded.keys[0].publicKey()
    }

    @Test func plaidShapedKeyDecodes() throws {
        let jwk = try Self.publicJWK()
        let json = """
            {"alg":"ES256","created_at":1560466150,"crv":"P-256","expired_at":null,"kid":"bfbd5111-8e33-4643-8ced-b2e642a72f3c",
             "kty":"EC","use":"sig","x":"\(jwk.x!)","y":"\(jwk.y!)"}
            """
        let decoded = try JSONDecoder().decode(JWK.self, from: Data(json.utf8))
        #expect(decoded.createdAt == 1_560_466_150)
        #expect(decoded.expiredAt == nil)
        _ = try decoded.publicKey()
    }

    @Test func offCurvePointIsRejected() throws {
        var jwk = try Self.publicJWK()
        var y = try Base64URL.decode(jwk.y!)
        y[31] ^= 0x01
        jwk.y = Base64URL.encode(y)
        #expect(throws: JOSEError(.invalidKey, "")) { try jwk.publicKey() }
    }

    @Test func wrongCurveTypeOrLengthIsRejected() throws {
        let good = try Self.publicJWK()
        var wrongCurve = good
        wrongCurve.curve = "P-384"
        var wrongType = good
        wrongType.keyType = "RSA"
        var shortX = good
        shortX.x = Base64URL.encode(try Base64URL.decode(good.x!).dropFirst())
        var missingY = good
        missingY.y = nil
        var paddedX = good
        paddedX.x = good.x! + "="
        for bad in [wrongCurve, wrongType, shortX, missingY, paddedX] {
            #expect(throws: JOSEError(.invalidKey, "")) { try bad.publicKey() }
        }
    }

    @Test func useOtherThanSigOrAlgOtherThanES256IsRefusedForVerification() throws {
        var encryption = try Self.publicJWK()
        encryption.use = "enc"
        var otherAlg = try Self.publicJWK()
        otherAlg.algorithm = "ES384"
        for bad in [encryption, otherAlg] {
            #expect(throws: JOSEError(.invalidKey, "")) { try bad.publicKey() }
            _ = try bad.publicKey(requireSignatureUse: false)
        }
        var absent = try Self.publicJWK()
        absent.use = nil
        absent.algorithm = nil
        _ = try absent.publicKey()
    }

    @Test func jwkSetFindsOneKeyAndRefusesAmbiguousKids() throws {
        let a = try Self.publicJWK()
        var b = try Self.publicJWK()
        b.keyID = "k2"
        let set = JWKSet(keys: [a, b])
        #expect(try set.key(withID: "k2") == b)
        #expect(throws: JOSEError(.keyNotFound, "")) { try set.key(withID: "nope") }
        var twin = try Self.publicJWK()
        twin.keyID = "k2"
        let ambiguous = JWKSet(keys: [a, b, twin])
        #expect(throws: JOSEError(.ambiguousKey, "")) { try ambiguous.key(withID: "k2") }
        #expect(try ambiguous.key(withID: "k1") == a)
    }

    @Test func pemRoundTripKeepsTheKey() throws {
        let key = try P256PrivateKey.generate()
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reread = try P256PrivateKey(pem: pem)
        #expect(reread.publicKey.coordinates.x == key.publicKey.coordinates.x)
        let signature = try reread.signature(for: Array("hello".utf8))
        #expect(key.publicKey.isValidSignature(signature, for: Array("hello".utf8)))
        #expect(throws: JOSEError(.invalidKey, "")) { try P256PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }

    @Test func privateJWKWithMismatchedDIsRejected() throws {
        var jwk = try P256PrivateKey.generate().privateJWK(keyID: "k1")
        jwk.d = try P256PrivateKey.generate().privateJWK(keyID: "k1").d
        #expect(throws: JOSEError(.invalidKey, "")) { try P256PrivateKey(jwk: jwk) }
    }

    @Test func sha256AndConstantTimeCompare() {
        #expect(SHA256.hexHash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexHash([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // FIPS 180-2 B.2, two blocks: the fetched digest over more than one block.
        #expect(
            SHA256.hexHash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(ConstantTime.equals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func strictJSONParserRules() throws {
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array(#"{"a":1,}"#.utf8)) }
        #expect(try JSONParser.parse(Array(#"{"a":1,}"#.utf8), options: .trailingCommas)["a"] == .number("1"))
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array(String(repeating: "[", count: 40).utf8)) }
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array(#"{"a":01}"#.utf8)) }
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array(#""\ud800""#.utf8)) }
        #expect(try JSONParser.parse(Array(#""\ud83d\ude00 é""#.utf8)) == .string("😀 é"))
        #expect(
            try JSONParser.parse(Array(" {\"a\" : [true, false, null, -1.5e3]} ".utf8))["a"]
                == .array([.bool(true), .bool(false), .null, .number("-1.5e3")]))
    }
}
