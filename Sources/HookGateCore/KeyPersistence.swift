import JOSE

/// Somewhere fetched keys survive a restart (the SQLite store), so a restarted gate
/// does not refetch every key.
public protocol KeyPersistence: Sendable {
    /// Every saved key of `provider`.
    func savedKeys(provider: Provider) async throws -> [JWK]
    /// Saves (or replaces) `key` for `provider`.
    func saveKey(_ key: JWK, provider: Provider) async throws
}
