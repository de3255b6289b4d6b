import JOSE

/// A JSON Pointer (RFC 6901), as an `hmac` provider's `event_id: {json: /a/b}` names a field.
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    /// The reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
    public let tokens: [String]
    /// The pointer as written.
    public let description: String

    /// Parses `/a/b/0`; `nil` unless it is empty or starts with `/` and every `~` is `~0` or `~1`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        var tokens: [String] = []
        for raw in text.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var token = ""
            var escape = false
            for character in raw {
                if escape {
                    guard character == "0" || character == "1" else { return nil }
                    token.append(character == "0" ? "~" : "/")
                    escape = false
                } else if character == "~" {
                    escape = true
                } else {
                    token.append(character)
                }
            }
            guard !escape else { return nil }
            tokens.append(token)
        }
        self.tokens = tokens
        self.description = text
    }

    /// The value the pointer names in `document`, or `nil` when a step is missing.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object:
                guard let next = current[token] else { return nil }
                current = next
            case .array(let values):
                guard let index = Int(token), index >= 0, index < values.count, token == String(index) else { return nil }
                current = values[index]
            default:
                return nil
            }
        }
        return current
    }
}
