/// An error raised by the JOSE layer: a stable ``code`` for programs, a human
/// ``reason`` for people, and where it was raised.
///
/// Two errors are equal when their codes are equal; the reason and location are
/// context only. Reasons never contain key material or whole tokens.
public struct JOSEError: Error, Hashable, CustomStringConvertible, Sendable {
    /// The stable, machine-readable kind of failure.
    public enum Code: String, Sendable, CaseIterable {
        /// Base64url input that is padded, non-canonical or has characters outside the alphabet.
        case invalidBase64URL = "invalid_base64url"
        /// JSON that is not well-formed, too deep, or has duplicate member names.
        case invalidJSON = "invalid_json"
        /// A compact JWS that is not three parts, too large, or whose header/claims are not JSON objects.
        case malformedToken = "malformed_token"
        /// The token asks for something the verifier never accepts (`crit`, an embedded key, ...).
        case forbiddenHeader = "forbidden_header"
        /// The token's `alg` is not the algorithm pinned by the caller.
        case unsupportedAlgorithm = "unsupported_algorithm"
        /// The signature does not verify (wrong length, out-of-range values, or a mismatch).
        case badSignature = "bad_signature"
        /// A JWK that is not a valid EC P-256 key, or is refused for verification.
        case invalidKey = "invalid_key"
        /// A JWK Set holds no key with the requested `kid`.
        case keyNotFound = "key_not_found"
        /// A JWK Set holds more than one key with the requested `kid`.
        case ambiguousKey = "ambiguous_key"
        /// A failure inside OpenSSL that is not attributable to the input.
        case cryptoFailure = "crypto_failure"
    }

    /// The stable code; compare on this.
    public let code: Code
    /// Why, for people and logs.
    public let reason: String
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    /// Creates an error with a code, a reason, and the raising location.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: JOSEError, rhs: JOSEError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { "\(code.rawValue): \(reason)" }
}
