import JOSE

/// Where fetched keys survive a restart, so a restarted gate does not refetch every key; on a
/// shared backend, where one gate's fetch serves every gate (a cache miss looks here before
/// asking the sender).
///
/// Implementations: `SQLiteEventStore` in HookGateStore, `PostgresEventStore` in HookGatePostgres.
public protocol KeyStore: Sendable {
    /// Every saved key of `provider`, oldest saved first; keys that no longer decode are skipped.
    func savedKeys(provider: Provider) async throws -> [JWK]

    /// The saved key of `provider` whose `kid` is `keyID`, if any.
    func savedKey(provider: Provider, keyID: String) async throws -> JWK?

    /// Saves `key` for `provider`, replacing a saved key of the same provider and `kid`.
    func saveKey(_ key: JWK, provider: Provider) async throws
}

extension KeyStore {
    /// The saved key of `provider` whose `kid` is `keyID`, if any, read from ``savedKeys(provider:)``
    /// (a backend with a faster lookup implements its own).
    public func savedKey(provider: Provider, keyID: String) async throws -> JWK? {
        try await savedKeys(provider: provider).last { $0.keyID == keyID }
    }
}
