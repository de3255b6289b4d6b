import Foundation
import COpenSSL

/// SHA-256 from the system OpenSSL.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { out in
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
