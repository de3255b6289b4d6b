/// The request headers a provider's verification and identity read, as received: the
/// intake copies only the names its provider needs (``GateConfiguration/ProviderSettings/requestHeaderNames``).
public struct RequestHeaders: Sendable {
    /// Name and value pairs in the order received.
    public var pairs: [(String, String)]

    public init(_ pairs: [(String, String)] = []) {
        self.pairs = pairs
    }

    /// The first value of `name`, compared case-insensitively (ASCII).
    public func first(_ name: String) -> String? {
        pairs.first { Self.sameName($0.0, name) }?.1
    }

    /// Whether two header names are equal ignoring ASCII case.
    public static func sameName(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && zip(lhs.utf8, rhs.utf8).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }
}
