import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Compares two byte strings with OpenSSL's `CRYPTO_memcmp`.
    ///
    /// The lengths are public (a length mismatch returns `false` at once); the
    /// contents are compared in time that depends only on the length.
    public static func equals<A: Collection, B: Collection>(_ lhs: A, _ rhs: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        let left = Array(lhs)
        let right = Array(rhs)
        guard left.count == right.count else { return false }
        if left.isEmpty { return true }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                CRYPTO_memcmp(l.baseAddress, r.baseAddress, left.count) == 0
            }
        }
    }
}
