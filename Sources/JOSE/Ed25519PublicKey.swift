import COpenSSL

/// An Ed25519 public key (RFC 8032), verified by the system OpenSSL: the `v1a`
/// signatures of Standard Webhooks senders that sign asymmetrically.
public final class Ed25519PublicKey: @unchecked Sendable {
    /// The 32 raw key bytes.
    public let rawRepresentation: [UInt8]
    private let pkey: OpaquePointer

    /// A key from its 32 raw bytes.
    /// - Throws: `invalid_key` when there are not 32 bytes or OpenSSL refuses them.
    public init(rawRepresentation: [UInt8]) throws(JOSEError) {
        guard rawRepresentation.count == 32 else {
            throw JOSEError(.invalidKey, "an Ed25519 public key is 32 bytes, not \(rawRepresentation.count)")
        }
        guard let key = rawRepresentation.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) })
        else { throw JOSEError(.invalidKey, "OpenSSL refused the Ed25519 public key") }
        self.rawRepresentation = rawRepresentation
        self.pkey = key
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Whether `signature` (64 bytes) is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, pkey) == 1 else { return false }
        let placeholder: [UInt8] = [0]
        return signature.withUnsafeBufferPointer { signatureBuffer in
            (message.isEmpty ? placeholder : message).withUnsafeBufferPointer { messageBuffer in
                EVP_DigestVerify(context, signatureBuffer.baseAddress, 64, messageBuffer.baseAddress, message.count) == 1
            }
        }
    }
}
