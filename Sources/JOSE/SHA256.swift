import COpenSSL
import Foundation

/// SHA-256 from the system OpenSSL.
public enum SHA256 {
    /// SHA-256 fetched once from the default provider. OpenSSL 3's one-shot `SHA256()` fetches
    /// it on every call (`EVP_Q_digest`: a provider-store lookup under a lock, about 1 % of the
    /// gate's CPU per webhook, which hashes twice). A fetched `EVP_MD` is immutable and may be
    /// used from any thread; it is kept for the life of the process. `nil` only if the
    /// provider has no SHA-256, in which case ``hash(_:)`` falls back to the one-shot call.
    nonisolated(unsafe) private static let fetched: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The 32-byte digest of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { out in
                if let md = fetched, EVP_Digest(input.baseAddress, input.count, out.baseAddress, nil, md, nil) == 1 { return }
                _ = COpenSSL.SHA256(input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, out.baseAddress)
            }
        }
        return digest
    }

    /// The lowercase hexadecimal digest of `bytes`, as Plaid's `request_body_sha256` carries it.
    public static func hexHash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        Hex.encode(hash(bytes))
    }
}
