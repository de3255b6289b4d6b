/// A configured sender, by the name it has under `providers:`.
///
/// The name is the provider everywhere the contract speaks of one: the dedup key
/// (provider, event id), match patterns (`NAME:TYPE`), the `Hookgate-Provider` header,
/// `/stats`, `/metrics`, the console and the stores. It is 1 to 64 characters of
/// lowercase letters, digits, `-` and `_`, starting with a letter or digit. How the
/// sender's webhooks are verified is its ``ProviderKind``, kept in the configuration.
public struct Provider: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// The longest name accepted.
    public static let maxNameLength = 64

    /// A provider by name; `nil` when the name is not 1 to 64 of `a-z 0-9 - _` starting with a letter or digit.
    public init?(rawValue: String) {
        guard Self.isValidName(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(builtIn name: String) {
        self.rawValue = name
    }

    /// Plaid: ES256 JWTs in `Plaid-Verification`, keys from Plaid's key endpoint.
    public static let plaid = Provider(builtIn: "plaid")
    /// LinkMoney (FinGoal's Plaid-compatible API).
    public static let linkmoney = Provider(builtIn: "linkmoney")
    /// LedgerSync: JWT, shared token, or no verification, as configured.
    public static let ledgersync = Provider(builtIn: "ledgersync")
    /// The three senders whose name is their kind, in the order HookGate lists them.
    public static let builtIn: [Provider] = [.plaid, .linkmoney, .ledgersync]

    /// Whether `name` is a possible provider name.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maxNameLength else { return false }
        func isLetterOrDigit(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return isLetterOrDigit(first) && bytes.allSatisfy { isLetterOrDigit($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// The header that carries the verification token by default (the JWT kinds).
    public var defaultVerificationHeader: String {
        self == .plaid ? "Plaid-Verification" : "Webhook-Verification"
    }

    /// The intake path when the configuration names none.
    public var defaultPath: String { "/webhooks/\(rawValue)" }

    public var description: String { rawValue }

    /// The built-in three first, in their order, then every other name alphabetically.
    public static func < (lhs: Provider, rhs: Provider) -> Bool {
        let left = builtIn.firstIndex(of: lhs) ?? builtIn.count
        let right = builtIn.firstIndex(of: rhs) ?? builtIn.count
        return left != right ? left < right : lhs.rawValue < rhs.rawValue
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let provider = Provider(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(name)\" is not a provider name"))
        }
        self = provider
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
