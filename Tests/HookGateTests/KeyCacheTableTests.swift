import HookGateCore
import JOSE
import Testing

/// Which key caches build fixed-key ES256 tables: the running gate's (pinned keys at
/// start, fetched keys as they arrive), never a short-lived command's (`serve --check`
/// exited while a table was being built, and OpenSSL's exit handler crashed it).
@Suite struct KeyCacheTableTests {
    static func jwk(_ kid: String) throws -> JWK {
        try P256PrivateKey.generate().publicJWK(keyID: kid)
    }

    @Test func aGateCacheBuildsATableForPinnedAndFetchedKeys() async throws {
        let pinned = try Self.jwk("pinned")
        let fetched = try Self.jwk("fetched")
        let source = KeyCacheClockTests.CountingSource([fetched])
        let cache = KeyCache(provider: .plaid, source: source, initialKeys: [pinned], precomputeTables: true)
        let fetchedEntry = try await cache.key(for: "fetched")
        let pinnedEntry = try await cache.key(for: "pinned")
        P256PublicKey.finishBackgroundTables()
        #expect(pinnedEntry.publicKey.usesFixedKeyTable)
        #expect(fetchedEntry.publicKey.usesFixedKeyTable)
    }

    @Test func aCommandsCacheBuildsNone() async throws {
        let pinned = try Self.jwk("pinned")
        let cache = KeyCache(provider: .plaid, source: KeyCacheClockTests.CountingSource([pinned]), initialKeys: [pinned])
        let entry = try await cache.key(for: "pinned")
        P256PublicKey.finishBackgroundTables()
        #expect(!cache.precomputesTables)
        #expect(!entry.publicKey.usesFixedKeyTable)
    }
}
