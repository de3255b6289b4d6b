/// A saved key as `hookgate store copy` moves it: the JWK's text as stored, so nothing is re-encoded.
public struct CopiedKey: Sendable, Equatable {
    /// The provider's wire name.
    public var provider: String
    /// The key's `kid`.
    public var keyID: String
    /// The JWK, as the store holds it (JSON).
    public var jwk: String
    /// Unix seconds when it was saved.
    public var savedAt: Int64

    /// A key, as a source reads it.
    public init(provider: String, keyID: String, jwk: String, savedAt: Int64) {
        self.provider = provider
        self.keyID = keyID
        self.jwk = jwk
        self.savedAt = savedAt
    }
}
