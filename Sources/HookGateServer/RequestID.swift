import JOSE

/// Every intake request's id: the caller's `X-Request-Id` when it is sane (at most 128
/// printable ASCII bytes) or a fresh random one. The log line and the stored event carry
/// it, and every answer of the public listener returns it, errors included.
enum RequestID {
    /// The caller's id when it is sane, else 24 random hex digits.
    static func make(from header: String?) -> String {
        if let header, !header.isEmpty, header.utf8.count <= 128, header.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
            return header
        }
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = UInt32(truncatingIfNeeded: generator.next() as UInt64)
        return Hex.encode(withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) })
    }
}
