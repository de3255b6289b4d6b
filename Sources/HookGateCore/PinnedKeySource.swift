import Foundation
import JOSE

/// Keys given in advance as a JWKS (a `keys_file`, or the embedded development keys).
/// Never touches the network.
public struct PinnedKeySource: KeySource {
    /// The pinned set.
    public let keySet: JWKSet

    public var isRemote: Bool { false }

    /// Pins the keys of `keySet`.
    public init(keySet: JWKSet) {
        self.keySet = keySet
    }

    /// Reads a JWKS (or a single JWK) from JSON text.
    /// - Throws: ``ConfigurationError`` naming `origin` when the JSON is not a key set of valid P-256 keys.
    public init(json: String, origin: String) throws {
        let data = Data(json.utf8)
        let set: JWKSet
        if let parsed = try? JSONDecoder().decode(JWKSet.self, from: data) {
            set = parsed
        } else if let single = try? JSONDecoder().decode(JWK.self, from: data) {
            set = JWKSet(keys: [single])
        } else {
            throw ConfigurationError(path: origin, "not a JWKS ({\"keys\": [...]}) or a JWK")
        }
        for (index, key) in set.keys.enumerated() {
            do {
                _ = try key.publicKey()
            } catch {
                throw ConfigurationError(path: origin, "key \(index) (kid \(key.keyID ?? "none")): \(error.reason)")
            }
        }
        keySet = set
    }

    /// Reads a JWKS file.
    /// - Throws: ``ConfigurationError`` when the file is missing or not a valid key set.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(path: path, "cannot read the keys file")
        }
        try self.init(json: String(decoding: data, as: UTF8.self), origin: path)
    }

    public func fetchKey(keyID: String) async throws(HookGateError) -> JWK? {
        do {
            return try keySet.key(withID: keyID)
        } catch  where error.code == .ambiguousKey {
            throw HookGateError(.unknownKey, error.reason)
        } catch {
            return nil
        }
    }

    /// The pinned key for a token naming `keyID`: a lone key without a `kid` is used whatever
    /// the token names; otherwise the one key with that `kid`. Expiry is not checked here
    /// (``KeyCache/requireCurrent(_:)`` does).
    /// - Throws: ``HookGateError`` `unknown_key` when no key, or more than one, has that `kid`.
    public func key(for keyID: String) throws(HookGateError) -> JWK {
        if keySet.keys.count == 1, keySet.keys[0].keyID == nil { return keySet.keys[0] }
        do {
            return try keySet.key(withID: keyID)
        } catch {
            throw HookGateError(.unknownKey, error.reason)
        }
    }
}
