import Foundation
import HookGateCore
import JOSE
import PostgresNIO

/// Saved keys: shared by every gate on the database.
extension PostgresEventStore {
    /// Every saved key of `provider`, oldest saved first; keys that no longer decode are skipped.
    package func savedKeys(provider: Provider) async throws -> [JWK] {
        var texts: [String] = []
        let rows = try await relaxed.query("SELECT jwk FROM keys WHERE provider = \(provider.rawValue) ORDER BY saved_at, kid")
        for try await text in rows.decode(String.self) { texts.append(text) }
        return texts.compactMap { try? JSONDecoder().decode(JWK.self, from: Data($0.utf8)) }
    }

    /// The saved key of `provider` with this `kid`: what another gate fetched.
    package func savedKey(provider: Provider, keyID: String) async throws -> JWK? {
        let rows = try await relaxed.query("SELECT jwk FROM keys WHERE provider = \(provider.rawValue) AND kid = \(keyID)")
        for try await text in rows.decode(String.self) { return try? JSONDecoder().decode(JWK.self, from: Data(text.utf8)) }
        return nil
    }

    /// Saves `key`, replacing the saved key of the same provider and `kid`.
    package func saveKey(_ key: JWK, provider: Provider) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(key), as: UTF8.self)
        let now = Int64(Date().timeIntervalSince1970)
        try await durable.query(
            """
            INSERT INTO keys (provider, kid, jwk, saved_at) VALUES (\(provider.rawValue), \(key.keyID ?? ""), \(text), \(now))
            ON CONFLICT (provider, kid) DO UPDATE SET jwk = excluded.jwk, saved_at = excluded.saved_at
            """)
    }
}
