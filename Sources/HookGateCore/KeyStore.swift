import JOSE

/// Where fetched keys survive a restart, so a restarted gate does not refetch every key.
///
/// Implementations: `SQLiteEventStore` in HookGateStore.
public protocol KeyStore: Sendable {
    /// Every saved key of `provider`, oldest saved first; keys that no longer decode are skipped.
    func savedKeys(provider: Provider) async throws -> [JWK]

    /// Saves `key` for `provider`, replacing a saved key of the same provider and `kid`.
    func saveKey(_ key: JWK, provider: Provider) async throws
}
