import JOSE

/// Where a provider's verification keys come from.
///
/// Implementations: ``HTTPKeySource`` (the sender's key endpoint) and
/// ``PinnedKeySource`` (a JWKS given in advance).
public protocol KeySource: Sendable {
    /// Whether keys come from the network (and so need caching, rate limits and persistence).
    var isRemote: Bool { get }

    /// The key named `keyID`, or `nil` when the source answers that it has no such key.
    /// - Throws: ``HookGateError`` with code ``HookGateError/Code/keyUnavailable`` when the
    ///   source cannot be asked (down, timed out, refused our credentials).
    func fetchKey(keyID: String) async throws(HookGateError) -> JWK?
}
