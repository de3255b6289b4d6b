import COpenSSL

/// An Ed25519 private key, for development tooling only: `hookgate sign` signs the
/// `v1a` Standard Webhooks scheme with it. The gate itself never signs with Ed25519.
public final class Ed25519PrivateKey: @unchecked Sendable {
    private let pkey: OpaquePointer

    /// A key from its 32-byte seed (RFC 8032's private key).
    /// - Throws: `invalid_key` when the seed is not 32 bytes or OpenSSL refuses it.
    public init(seed: [UInt8]) throws(JOSEError) {
        guard seed.count == 32 else { throw JOSEError(.invalidKey, "an Ed25519 seed is 32 bytes, not \(seed.count)") }
        guard let key = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else {
            throw JOSEError(.invalidKey, "OpenSSL refused the Ed25519 seed")
        }
        self.pkey = key
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// The 32 raw bytes of the matching public key.
    public var publicKeyBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        _ = EVP_PKEY_get_raw_public_key(pkey, &out, &length)
        return out
    }

    /// The 64-byte Ed25519 signature of `message`.
    /// - Throws: `crypto_failure` when OpenSSL fails.
    public func signature(for message: [UInt8]) throws(JOSEError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw JOSEError(.cryptoFailure, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, pkey) == 1 else { throw JOSEError(.cryptoFailure, "EVP_DigestSignInit failed") }
        var out = [UInt8](repeating: 0, count: 64)
        var length = 64
        let placeholder: [UInt8] = [0]
        let status = (message.isEmpty ? placeholder : message).withUnsafeBufferPointer {
            EVP_DigestSign(context, &out, &length, $0.baseAddress, message.count)
        }
        guard status == 1, length == 64 else { throw JOSEError(.cryptoFailure, "EVP_DigestSign failed") }
        return out
    }
}
