/// A JSON Web Key Set (`{"keys": [...]}`).
public struct JWKSet: Codable, Sendable, Equatable {
    /// The keys, in file order.
    public var keys: [JWK]

    /// Creates a set from keys.
    public init(keys: [JWK]) {
        self.keys = keys
    }

    /// The one key whose `kid` is `keyID`.
    /// - Throws: ``JOSEError/Code/keyNotFound`` when none matches, and
    ///   ``JOSEError/Code/ambiguousKey`` when two or more do: a set that names one `kid`
    ///   twice cannot say which key is meant, so it is refused for that `kid`.
    public func key(withID keyID: String) throws(JOSEError) -> JWK {
        let matches = keys.filter { $0.keyID == keyID }
        switch matches.count {
        case 0: throw JOSEError(.keyNotFound, "no key with kid \(JSONValue.quote(keyID))")
        case 1: return matches[0]
        default: throw JOSEError(.ambiguousKey, "\(matches.count) keys share kid \(JSONValue.quote(keyID))")
        }
    }
}
