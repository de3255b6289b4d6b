/// The webhook senders HookGate understands.
public enum Provider: String, Sendable, CaseIterable, Codable, Comparable {
    case plaid
    case linkmoney
    case ledgersync

    /// The header that carries the verification token by default.
    public var defaultVerificationHeader: String {
        switch self {
        case .plaid: return "Plaid-Verification"
        case .linkmoney, .ledgersync: return "Webhook-Verification"
        }
    }

    /// The intake path when the configuration names none.
    public var defaultPath: String { "/webhooks/\(rawValue)" }

    public static func < (lhs: Provider, rhs: Provider) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
