import Foundation
import JOSE
import Testing

@Suite struct JWSTests {
    /// RFC 7515 Appendix A.3: the ES256 example's public key.
    static let rfcJWK = JWK(
        keyType: "EC", curve: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", keyID: nil, algorithm: nil, use: nil, createdAt: nil, expiredAt: nil
    )
    static let rfcToken =
        "eyJhbGciOiJFUzI1NiJ9"
        + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    @Test func rfc7515AppendixA3Verifies() throws {
        let jws = try CompactJWS(Self.rfcToken)
        #expect(jws.algorithm == "ES256")
        #expect(jws.claims["iss"]?.stringValue == "joe")
        #expect(jws.claims["exp"]?.int64Value == 1_300_819_380)
        try jws.verifySignature(using: Self.rfcJWK.publicKey())
    }

    @Test func privateJWKRoundTripSignsAndItsPublicHalfVerifies() throws {
        let original = try P256PrivateKey.generate()
        let jwk = try original.privateJWK(keyID: "k1")
        #expect(try Base64URL.decode(jwk.d!).count == 32)
        let reread = try P256PrivateKey(jwk: jwk)
        let token = try CompactJWS.sign(header: [("typ", .string("JWT"))], claims: [("iat", .number("1"))], key: reread)
        try CompactJWS(token).verifySignature(using: jwk.publicOnly.publicKey())
        try CompactJWS(token).verifySignature(using: original.publicKey)
    }

    static func signed(
        header: [(String, JSONValue)] = [("kid", .string("k1")), ("typ", .string("JWT"))],
        claims: [(String, JSONValue)] = [("iat", .number("1700000000"))]
    ) throws -> (String, P256PrivateKey) {
        let key = try P256PrivateKey.generate()
        return (try CompactJWS.sign(header: header, claims: claims, key: key), key)
    }

    @Test func signVerifyRoundTrip() throws {
        for _ in 0..<20 {
            let (token, key) = try Self.signed()
            let jws = try CompactJWS(token)
            #expect(jws.keyID == "k1")
            #expect(jws.type == "JWT")
            #expect(jws.signature.count == 64)
            try jws.verifySignature(using: key.publicKey)
        }
    }

    @Test func anotherKeyDoesNotVerify() throws {
        let (token, _) = try Self.signed()
        let other = try P256PrivateKey.generate()
        #expect(throws: JOSEError(.badSignature, "")) { try CompactJWS(token).verifySignature(using: other.publicKey) }
    }

    static func replacePart(_ token: String, _ index: Int, with part: String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[index] = part
        return parts.joined(separator: ".")
    }

    @Test func tamperedHeaderClaimsOrSignatureIsRejected() throws {
        let (token, key) = try Self.signed()
        let otherHeader = Base64URL.encode(Array(#"{"alg":"ES256","kid":"k2","typ":"JWT"}"#.utf8))
        let otherClaims = Base64URL.encode(Array(#"{"iat":1700000001}"#.utf8))
        for tampered in [Self.replacePart(token, 0, with: otherHeader), Self.replacePart(token, 1, with: otherClaims)] {
            #expect(throws: JOSEError(.badSignature, "")) { try CompactJWS(tampered).verifySignature(using: key.publicKey) }
        }
        var signature = try CompactJWS(token).signature
        signature[10] ^= 0x01
        let flipped = Self.replacePart(token, 2, with: Base64URL.encode(signature))
        #expect(throws: JOSEError(.badSignature, "")) { try CompactJWS(flipped).verifySignature(using: key.publicKey) }
    }

    @Test(arguments: [
        #"{"alg":"none","kid":"k1"}"#, #"{"alg":"HS256","kid":"k1"}"#, #"{"alg":"ES384","kid":"k1"}"#, #"{"kid":"k1"}"#,
        #"{"alg":"es256","kid":"k1"}"#,
    ])
    func algorithmOtherThanES256IsRejected(header: String) throws {
        let (token, key) = try Self.signed()
        let forged = Self.replacePart(token, 0, with: Base64URL.encode(Array(header.utf8)))
        #expect(throws: JOSEError(.unsupportedAlgorithm, "")) { try CompactJWS(forged).verifySignature(using: key.publicKey) }
    }

    @Test func noneAlgorithmWithEmptySignatureIsMalformed() throws {
        let header = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8))
        let claims = Base64URL.encode(Array(#"{"iat":1}"#.utf8))
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS("\(header).\(claims).") }
    }

    @Test(arguments: ["jwk", "jku", "x5u", "x5c", "crit"])
    func keysCarriedByTheTokenAndCritAreRefused(member: String) throws {
        let key = try P256PrivateKey.generate()
        let value: JSONValue =
            member == "crit" ? .array([.string("exp")]) : member == "x5c" ? .array([.string("MIIB")]) : .string("https://evil.example/k")
        let embedded: JSONValue = member == "jwk" ? .object([("kty", .string("EC"))]) : value
        let token = try CompactJWS.sign(header: [("kid", .string("k1")), (member, embedded)], claims: [("iat", .number("1"))], key: key)
        #expect(throws: JOSEError(.forbiddenHeader, "")) { try CompactJWS(token) }
    }

    @Test(arguments: [63, 65])
    func signatureOfWrongLengthIsRejected(length: Int) throws {
        let (token, key) = try Self.signed()
        var signature = try CompactJWS(token).signature
        if length < 64 { signature.removeLast() } else { signature.append(0) }
        let changed = Self.replacePart(token, 2, with: Base64URL.encode(signature))
        #expect(throws: JOSEError(.badSignature, "")) { try CompactJWS(changed).verifySignature(using: key.publicKey) }
    }

    @Test func derEncodedSignatureIsRejected() throws {
        let (token, key) = try Self.signed()
        let raw = try CompactJWS(token).signature
        func derInteger(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if let first = value.first, first & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = derInteger(raw[0..<32]) + derInteger(raw[32..<64])
        let der = [0x30, UInt8(body.count)] + body
        let changed = Self.replacePart(token, 2, with: Base64URL.encode(der))
        #expect(throws: JOSEError(.badSignature, "")) { try CompactJWS(changed).verifySignature(using: key.publicKey) }
    }

    @Test func zeroAndOrderSignatureValuesAreRejected() throws {
        let (token, key) = try Self.signed()
        let jws = try CompactJWS(token)
        let order = Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!
        for signature in [[UInt8](repeating: 0, count: 64), order + order, Array(jws.signature[0..<32]) + order] {
            #expect(!key.publicKey.isValidSignature(signature, for: jws.signingInput))
        }
    }

    @Test func paddedOrNonCanonicalBase64URLIsRejected() throws {
        #expect(throws: JOSEError(.invalidBase64URL, "")) { try Base64URL.decode("QQ==") }
        #expect(throws: JOSEError(.invalidBase64URL, "")) { try Base64URL.decode("QR") }  // 'R' leaves non-zero unused bits
        #expect(throws: JOSEError(.invalidBase64URL, "")) { try Base64URL.decode("A") }
        #expect(throws: JOSEError(.invalidBase64URL, "")) { try Base64URL.decode("a+b/") }
        #expect(throws: JOSEError(.invalidBase64URL, "")) { try Base64URL.decode("ab c") }
        #expect(try Base64URL.decode("QQ") == [0x41])
        #expect(try Base64URL.decode("") == [])
        let (token, _) = try Self.signed()
        let parts = token.split(separator: ".").map(String.init)
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS(parts[0] + "=." + parts[1] + "." + parts[2]) }
        // The signature's last character carries 4 unused bits (64 bytes -> 86 chars); flip one.
        var last = Array(parts[2].utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let value = alphabet.firstIndex(of: last[last.count - 1])!
        last[last.count - 1] = alphabet[value ^ 0x01]
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS(parts[0] + "." + parts[1] + "." + String(decoding: last, as: UTF8.self)) }
    }

    @Test func base64URLRoundTripsEveryLength() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            let reference = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == reference)
        }
    }

    @Test func duplicateMemberNamesAreRejected() throws {
        let key = try P256PrivateKey.generate()
        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"a","kid":"b"}"#.utf8))
        let claims = Base64URL.encode(Array(#"{"iat":1,"iat":2}"#.utf8))
        let goodHeader = Base64URL.encode(Array(#"{"alg":"ES256","kid":"a"}"#.utf8))
        let sig = Base64URL.encode(try key.signature(for: Array("x".utf8)))
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS("\(header).\(Base64URL.encode(Array(#"{"iat":1}"#.utf8))).\(sig)") }
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS("\(goodHeader).\(claims).\(sig)") }
        // Escaped spellings of the same name are the same name.
        #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array(#"{"kid":1,"k\u0069d":2}"#.utf8)) }
    }

    /// Small objects are searched for a duplicate linearly, larger ones through a set: the
    /// duplicate is found on both sides of that switch, first and last, and only then.
    @Test func duplicateNamesAreFoundInObjectsOfEverySize() throws {
        for size in [1, 2, 15, 16, 17, 40] {
            let names = (0..<size).map { "m\($0)" }
            let unique = "{" + names.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
            #expect(try JSONParser.parse(Array(unique.utf8)).objectMembers?.count == size)
            for repeated in Set([names[0], names[size / 2], names[size - 1]]) {
                let document = "{" + (names + [repeated]).map { "\"\($0)\":1" }.joined(separator: ",") + "}"
                #expect(throws: JOSEError(.invalidJSON, ""), "size \(size), \(repeated) twice") { try JSONParser.parse(Array(document.utf8)) }
            }
        }
    }

    /// Strings without escapes: ASCII taken as it is, anything else validated as UTF-8.
    @Test func unescapedStringsAreValidatedOnlyWhenNotASCII() throws {
        #expect(try JSONParser.parse(Array(#"["plain ascii ~"]"#.utf8)) == .array([.string("plain ascii ~")]))
        #expect(try JSONParser.parse(Array("[\"caf\u{E9} \u{2713}\"]".utf8)) == .array([.string("caf\u{E9} \u{2713}")]))
        for invalid: [UInt8] in [[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0x61, 0xC0, 0xAF], [0xE2, 0x9C]] {
            #expect(throws: JOSEError(.invalidJSON, "")) { try JSONParser.parse(Array("[\"".utf8) + invalid + Array("\"]".utf8)) }
        }
    }

    @Test func wrongPartCountsAndNonObjectsAreMalformed() throws {
        let (token, _) = try Self.signed()
        let parts = token.split(separator: ".").map(String.init)
        for bad in [
            parts[0], parts[0] + "." + parts[1], token + "." + parts[2], "..", "a.b.c",
            Base64URL.encode(Array("[1]".utf8)) + "." + parts[1] + "." + parts[2],
        ] {
            #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS(bad) }
        }
    }

    @Test func tokenOverTheSizeBoundIsRejected() throws {
        let (small, _) = try Self.signed()
        #expect(small.utf8.count < CompactJWS.maxTokenBytes)
        let padding = String(repeating: "a", count: CompactJWS.maxTokenBytes)
        let (big, _) = try Self.signed(claims: [("iat", .number("1")), ("pad", .string(padding))])
        #expect(big.utf8.count > CompactJWS.maxTokenBytes)
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS(big) }
    }

    @Test func kidAlgAndTypMustBeStrings() throws {
        let (token, _) = try Self.signed(header: [("kid", .number("5"))])
        #expect(throws: JOSEError(.malformedToken, "")) { try CompactJWS(token) }
    }
}
