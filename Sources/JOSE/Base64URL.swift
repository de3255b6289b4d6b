/// Strict base64url (RFC 4648 §5) as JOSE uses it: no padding, no white space, and
/// canonical only (the unused low bits of the last character must be zero), so every
/// byte string has exactly one accepted encoding.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes without padding.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest == 1 {
            let n = UInt32(input[index]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a string strictly.
    /// - Throws: ``JOSEError/Code/invalidBase64URL`` for padding, characters outside
    ///   the alphabet, an impossible length, or non-zero unused bits.
    public static func decode(_ string: String) throws(JOSEError) -> [UInt8] {
        try decode(utf8: Array(string.utf8))
    }

    /// Decodes ASCII bytes strictly; see ``decode(_:)``.
    public static func decode<Input: Collection>(utf8 input: Input) throws(JOSEError) -> [UInt8] where Input.Element == UInt8 {
        let result = input.withContiguousStorageIfAvailable { decode(buffer: $0) } ?? Array(input).withUnsafeBufferPointer { decode(buffer: $0) }
        return try result.get()
    }

    private static func decode(buffer input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], JOSEError> {
        let count = input.count
        if count % 4 == 1 {
            return .failure(JOSEError(.invalidBase64URL, "length \(count) is not a possible base64url length"))
        }
        var problem: JOSEError?
        let out = decodeTable.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: count * 3 / 4) { out, initialized in
                var accumulator: UInt32 = 0
                var bits: UInt32 = 0
                var written = 0
                for char in input {
                    let value = table[Int(char)]
                    if value == 0xFF {
                        problem =
                            char == UInt8(ascii: "=")
                            ? JOSEError(.invalidBase64URL, "padding is not allowed")
                            : JOSEError(.invalidBase64URL, "character \(char) is outside the base64url alphabet")
                        break
                    }
                    accumulator = accumulator << 6 | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out[written] = UInt8(truncatingIfNeeded: accumulator >> bits)
                        written += 1
                        accumulator &= (1 << bits) - 1
                    }
                }
                if problem == nil, accumulator != 0 {
                    problem = JOSEError(.invalidBase64URL, "non-canonical encoding: unused trailing bits are not zero")
                }
                initialized = written
            }
        }
        if let problem { return .failure(problem) }
        return .success(out)
    }
}
