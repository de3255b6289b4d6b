/// How a sender's webhooks are verified and identified: the `kind` of an entry under
/// `providers:` (see "Senders beyond the three" in the contract).
public enum ProviderKind: String, Sendable, CaseIterable, Codable {
    /// ES256 JWT in `Plaid-Verification`; id `sha256:` of the body; type `WEBHOOK_TYPE.WEBHOOK_CODE`.
    case plaid
    /// As Plaid, with `Webhook-Verification` and LinkMoney's key endpoint.
    case linkmoney
    /// JWT, shared token or none; id `eventId`; type `eventType`.
    case ledgersync
    /// `Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of `<t>.<body>`; id and type from the JSON body.
    case stripe
    /// `X-Hub-Signature-256: sha256=<hex>`; id `X-GitHub-Delivery`; type `X-GitHub-Event[.action]`.
    case github
    /// `X-Shopify-Hmac-Sha256` (base64); id `X-Shopify-Event-Id` or `X-Shopify-Webhook-Id`; type `X-Shopify-Topic`.
    case shopify
    /// `webhook-id`/`webhook-timestamp`/`webhook-signature` (or `svix-*`): `v1` HMAC-SHA256, `v1a` Ed25519.
    case standardWebhooks = "standard-webhooks"
    /// Any other HMAC over the raw body, described by the provider's own keys.
    case hmac

    /// Whether the kind is verified with JWTs and keys (Plaid's family) rather than shared secrets.
    public var isJWTFamily: Bool {
        self == .plaid || self == .linkmoney || self == .ledgersync
    }

    /// The header that carries the JWT by default (the JWT family).
    public var defaultVerificationHeader: String {
        self == .plaid ? "Plaid-Verification" : "Webhook-Verification"
    }

    /// The kind a provider's name implies when the entry has no `kind` (the built-in three).
    public init?(impliedBy provider: Provider) {
        switch provider {
        case .plaid: self = .plaid
        case .linkmoney: self = .linkmoney
        case .ledgersync: self = .ledgersync
        default: return nil
        }
    }
}
