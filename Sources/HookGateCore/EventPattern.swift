/// A handler's match pattern: `provider:TYPE` where either side may use `*` as a
/// wildcard for any run of characters (`plaid:TRANSACTIONS.*`, `ledgersync:accountAdded`),
/// or `*` alone for every event.
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    public let provider: String
    public let type: String

    /// Parses a pattern; `nil` when it is empty or has no `:` (except `*`).
    public init?(_ text: String) {
        if text == "*" {
            provider = "*"
            type = "*"
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        provider = String(text[..<colon])
        type = String(text[text.index(after: colon)...])
        guard !provider.isEmpty, !type.isEmpty else { return nil }
        if provider != "*" && !provider.contains("*") && Provider(rawValue: provider) == nil { return nil }
    }

    /// Whether an event of `provider` and `type` matches.
    public func matches(provider eventProvider: Provider, type eventType: String) -> Bool {
        EventPattern.glob(provider, eventProvider.rawValue) && EventPattern.glob(type, eventType)
    }

    public var description: String { provider == "*" && type == "*" ? "*" : "\(provider):\(type)" }

    /// `*` matches any run of characters, everything else itself.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8)
        let t = Array(text.utf8)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ti
                pi += 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
