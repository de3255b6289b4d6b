/// A small, strict JSON parser (RFC 8259) used where the standard decoders are too
/// lenient for security: it refuses duplicate member names, bounds nesting depth, and
/// validates UTF-8 and escapes.
///
/// ``Options/allowTrailingCommas`` relaxes exactly one rule, for senders whose
/// documented payloads carry a trailing comma (LedgerSync); nothing else is relaxed.
public struct JSONParser {
    /// What the parser tolerates.
    public struct Options: Sendable, Equatable {
        /// Accept `[1,]` and `{"a":1,}`.
        public var allowTrailingCommas: Bool
        /// The deepest nesting of arrays and objects accepted.
        public var maxDepth: Int

        /// Strict RFC 8259 with a nesting bound of 32.
        public static let strict = Options(allowTrailingCommas: false, maxDepth: 32)
        /// Strict but for trailing commas.
        public static let trailingCommas = Options(allowTrailingCommas: true, maxDepth: 32)

        public init(allowTrailingCommas: Bool, maxDepth: Int) {
            self.allowTrailingCommas = allowTrailingCommas
            self.maxDepth = maxDepth
        }
    }

    /// Parses one JSON document (surrounding white space allowed).
    /// - Throws: ``JOSEError/Code/invalidJSON`` with the offset of the first problem.
    public static func parse<Bytes: Collection>(_ bytes: Bytes, options: Options = .strict) throws(JOSEError) -> JSONValue
    where Bytes.Element == UInt8 {
        var parser = Parser(bytes: Array(bytes), options: options)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        let options: Options
        var index = 0
        var depth = 0
        /// Objects up to this many members are searched for a duplicate name linearly.
        static let linearNameSearch = 16

        init(bytes: [UInt8], options: Options) {
            self.bytes = bytes
            self.options = options
        }

        func fail(_ what: String) -> JOSEError {
            JOSEError(.invalidJSON, "\(what) at byte \(index)")
        }

        mutating func document() throws(JOSEError) -> JSONValue {
            skipWhitespace()
            let value = try parseValue()
            skipWhitespace()
            guard index == bytes.count else { throw fail("unexpected trailing content") }
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws(JOSEError) -> JSONValue {
            guard index < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws(JOSEError) {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count else { throw fail("unexpected end of input") }
            guard bytes[index..<(index + expected.count)].elementsEqual(expected) else { throw fail("invalid literal") }
            index += expected.count
        }

        mutating func enter() throws(JOSEError) {
            depth += 1
            if depth > options.maxDepth { throw fail("nesting deeper than \(options.maxDepth)") }
        }

        mutating func parseObject() throws(JOSEError) -> JSONValue {
            try enter()
            defer { depth -= 1 }
            index += 1
            var members: [(String, JSONValue)] = []
            // Duplicate names: a linear search while the object is small (no hashing), a set past that.
            var names: Set<String>?
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let name = try parseString()
                let duplicate: Bool
                if members.count < Self.linearNameSearch {
                    duplicate = members.contains { $0.0 == name }
                } else {
                    if names == nil { names = Set(members.map(\.0)) }
                    duplicate = !names!.insert(name).inserted
                }
                guard !duplicate else { throw fail("duplicate member name \(JSONValue.quote(name))") }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                members.append((name, try parseValue()))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                index += 1
                skipWhitespace()
                if options.allowTrailingCommas, index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
            }
        }

        mutating func parseArray() throws(JOSEError) -> JSONValue {
            try enter()
            defer { depth -= 1 }
            index += 1
            var values: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(values)
            }
            while true {
                skipWhitespace()
                values.append(try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end of input") }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(values)
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
                index += 1
                skipWhitespace()
                if options.allowTrailingCommas, index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(values)
                }
            }
        }

        mutating func parseNumber() throws(JOSEError) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw fail("truncated number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if isDigit(bytes[index]) {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            } else {
                throw fail("invalid number")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid fraction") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func parseString() throws(JOSEError) -> String {
            index += 1
            // Fast path: a string with no escape is one validated UTF-8 run; no scalar-by-scalar rebuild.
            // All ASCII (the usual case), it needs no validation: String(decoding:) changes nothing
            // in valid input and, unlike the generic String(validating:as:), is specialized.
            let start = index
            var highBits: UInt8 = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let run: String
                    if highBits & 0x80 == 0 {
                        run = String(decoding: bytes[start..<index], as: UTF8.self)
                    } else {
                        guard let valid = String(validating: bytes[start..<index], as: UTF8.self) else {
                            throw JOSEError(.invalidJSON, "invalid UTF-8 in string before byte \(index)")
                        }
                        run = valid
                    }
                    index += 1
                    return run
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw fail("control character in string") }
                highBits |= byte
                index += 1
            }
            index = start  // escapes (or no closing quote): the general path below
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ end: Int, into scalars: inout String.UnicodeScalarView) throws(JOSEError) {
                guard runStart < end else { return }
                guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                    throw JOSEError(.invalidJSON, "invalid UTF-8 in string before byte \(end)")
                }
                scalars.append(contentsOf: run.unicodeScalars)
            }
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    try flush(index, into: &scalars)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("control character in string") }
                if byte == UInt8(ascii: "\\") {
                    try flush(index, into: &scalars)
                    index += 1
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        let high = try hex4()
                        if (0xD800..<0xDC00).contains(high) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
                            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            scalars.append(Unicode.Scalar(value)!)
                        } else if (0xDC00..<0xE000).contains(high) {
                            throw fail("unpaired surrogate")
                        } else {
                            scalars.append(Unicode.Scalar(high)!)
                        }
                    default: throw fail("invalid escape")
                    }
                    runStart = index
                    continue
                }
                index += 1
            }
        }

        mutating func hex4() throws(JOSEError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
