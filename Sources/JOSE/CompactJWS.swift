/// A JWS in compact serialization (`header.claims.signature`), parsed but not yet verified.
///
/// Parsing enforces the structural rules: at most ``maxTokenBytes``, exactly three
/// parts, strict base64url, header and claims JSON objects with no duplicate member
/// names, no `crit`, and no key carried by the token itself (`jwk`, `jku`, `x5u`,
/// `x5c`). The token never chooses how it is verified: callers pin the algorithm in
/// ``verifySignature(using:algorithm:)``.
public struct CompactJWS: Sendable {
    /// The largest token accepted, in bytes.
    public static let maxTokenBytes = 8192

    /// Header members that would let a token bring its own key or demand extensions.
    public static let forbiddenHeaderMembers = ["crit", "jwk", "jku", "x5u", "x5c"]

    /// The decoded protected header.
    public let header: JSONValue
    /// The decoded claims (payload) object.
    public let claims: JSONValue
    /// The decoded signature bytes (any length; verification requires 64).
    public let signature: [UInt8]
    /// The ASCII bytes that were signed: `base64url(header) "." base64url(claims)`.
    public let signingInput: [UInt8]

    /// `alg` from the header, when it is a string.
    public var algorithm: String? { header["alg"]?.stringValue }
    /// `kid` from the header, when it is a string.
    public var keyID: String? { header["kid"]?.stringValue }
    /// `typ` from the header, when it is a string.
    public var type: String? { header["typ"]?.stringValue }

    /// Parses a compact JWS.
    /// - Throws: ``JOSEError/Code/malformedToken`` for size, structure, encoding or JSON
    ///   problems, and ``JOSEError/Code/forbiddenHeader`` for `crit` or an embedded key.
    public init(_ token: String) throws(JOSEError) {
        try self.init(utf8: Array(token.utf8))
    }

    /// Parses a compact JWS from its ASCII bytes; see ``init(_:)``.
    public init(utf8 token: [UInt8]) throws(JOSEError) {
        guard token.count <= CompactJWS.maxTokenBytes else {
            throw JOSEError(.malformedToken, "token is \(token.count) bytes; the limit is \(CompactJWS.maxTokenBytes)")
        }
        let dots = token.indices.filter { token[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else {
            throw JOSEError(.malformedToken, "a compact JWS has exactly 3 parts separated by '.'; this one has \(dots.count + 1)")
        }
        let headerPart = token[..<dots[0]]
        let claimsPart = token[(dots[0] + 1)..<dots[1]]
        let signaturePart = token[(dots[1] + 1)...]
        guard !headerPart.isEmpty, !claimsPart.isEmpty, !signaturePart.isEmpty else {
            throw JOSEError(.malformedToken, "a part of the token is empty")
        }
        header = try CompactJWS.decodeObject(headerPart, name: "header")
        claims = try CompactJWS.decodeObject(claimsPart, name: "claims")
        do {
            signature = try Base64URL.decode(utf8: signaturePart)
        } catch {
            throw JOSEError(.malformedToken, "signature: \(error.reason)")
        }
        signingInput = Array(token[..<dots[1]])

        for member in CompactJWS.forbiddenHeaderMembers where header[member] != nil {
            throw JOSEError(.forbiddenHeader, "header member `\(member)` is not accepted")
        }
        for member in ["alg", "kid", "typ"] {
            if let value = header[member], value.stringValue == nil {
                throw JOSEError(.malformedToken, "header member `\(member)` must be a string")
            }
        }
    }

    private static func decodeObject(_ part: ArraySlice<UInt8>, name: String) throws(JOSEError) -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = try Base64URL.decode(utf8: part)
        } catch {
            throw JOSEError(.malformedToken, "\(name): \(error.reason)")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, options: .strict)
        } catch {
            throw JOSEError(.malformedToken, "\(name): \(error.reason)")
        }
        guard value.objectMembers != nil else { throw JOSEError(.malformedToken, "\(name) is not a JSON object") }
        return value
    }

    /// Verifies the signature with `key`, under the algorithm the caller pins.
    /// - Throws: ``JOSEError/Code/unsupportedAlgorithm`` when the header's `alg` is not
    ///   `algorithm`, and ``JOSEError/Code/badSignature`` when the signature is not
    ///   exactly 64 bytes or does not verify.
    public func verifySignature(using key: P256PublicKey, algorithm: JWSAlgorithm = .es256) throws(JOSEError) {
        guard let alg = self.algorithm else { throw JOSEError(.unsupportedAlgorithm, "the header has no `alg`") }
        guard alg == algorithm.rawValue else {
            throw JOSEError(.unsupportedAlgorithm, "`alg` is \(JSONValue.quote(alg)); only \(algorithm.rawValue) is accepted")
        }
        guard signature.count == 64 else {
            throw JOSEError(.badSignature, "the signature is \(signature.count) bytes; ES256 requires exactly 64 (R || S)")
        }
        guard key.isValidSignature(signature, for: signingInput) else {
            throw JOSEError(.badSignature, "the signature does not verify with this key")
        }
    }

    /// Signs header and claims with ES256 and returns the compact token.
    ///
    /// `alg` is set to ES256 whatever the header says; members are serialised in the
    /// order given.
    public static func sign(header: [(String, JSONValue)], claims: [(String, JSONValue)], key: P256PrivateKey) throws(JOSEError) -> String {
        var members = header.filter { $0.0 != "alg" }
        members.insert(("alg", .string(JWSAlgorithm.es256.rawValue)), at: 0)
        let headerPart = Base64URL.encode(Array(JSONValue.object(members).compactText.utf8))
        let claimsPart = Base64URL.encode(Array(JSONValue.object(claims).compactText.utf8))
        let signingInput = headerPart + "." + claimsPart
        let signature = try key.signature(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}

/// The JWS algorithms HookGate verifies. Only ES256: the caller pins it, the token never chooses.
public enum JWSAlgorithm: String, Sendable {
    case es256 = "ES256"
}
