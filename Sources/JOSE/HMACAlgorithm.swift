import COpenSSL

/// The HMAC digests a sender may sign with, computed by the system OpenSSL.
public enum HMACAlgorithm: String, Sendable, CaseIterable {
    case sha256
    case sha512

    /// The length of the authentication code in bytes.
    public var outputLength: Int {
        switch self {
        case .sha256: return 32
        case .sha512: return 64
        }
    }

    /// The authentication code of `message` under `key` (`outputLength` bytes).
    ///
    /// `key` may be empty (RFC 2104 allows it); callers refuse empty secrets themselves.
    public func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputLength)
        var length = UInt32(outputLength)
        let digest = self == .sha256 ? EVP_sha256() : EVP_sha512()
        // OpenSSL wants a non-null key pointer even for an empty key.
        let keyBytes = key.isEmpty ? [0] : key
        keyBytes.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                _ = HMAC(digest, keyBuffer.baseAddress, Int32(key.count), messageBuffer.baseAddress, messageBuffer.count, &out, &length)
            }
        }
        return out
    }

    /// Whether `code` is the authentication code of `message` under any of `keys`, compared in constant time.
    ///
    /// A code of the wrong length never matches.
    public func isValid(_ code: [UInt8], for message: [UInt8], keys: [[UInt8]]) -> Bool {
        guard code.count == outputLength else { return false }
        var matched = false
        for key in keys where ConstantTime.equals(authenticationCode(for: message, key: key), code) {
            matched = true
        }
        return matched
    }
}
