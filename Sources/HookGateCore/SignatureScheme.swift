import JOSE

/// How a shared-secret sender (Stripe, GitHub, Shopify, Standard Webhooks, any HMAC)
/// signs its webhooks: everything ``SignatureVerifier`` needs.
public struct SignatureScheme: Sendable {
    /// The signature format: where the signature is and what was signed.
    public enum Format: Sendable, Equatable {
        /// `Stripe-Signature: t=<unix>,v1=<hex>`; HMAC-SHA256 of `<t>.<body>`.
        case stripe
        /// `X-Hub-Signature-256: sha256=<hex>`; HMAC-SHA256 of the body.
        case github
        /// `X-Shopify-Hmac-Sha256: <base64>`; HMAC-SHA256 of the body.
        case shopify
        /// `webhook-id`, `webhook-timestamp`, `webhook-signature` (or `svix-*`); `v1` HMAC-SHA256 or
        /// `v1a` Ed25519 of `<id>.<timestamp>.<body>`.
        case standardWebhooks
        /// The digest of the body in `header`, after `prefix`, in `encoding`.
        case hmac(header: String, algorithm: HMACAlgorithm, encoding: DigestEncoding, prefix: String)

        /// The format a shared-secret kind signs with; `nil` for the JWT kinds and for `hmac`,
        /// whose format the provider's own keys describe.
        public init?(kind: ProviderKind) {
            switch kind {
            case .stripe: self = .stripe
            case .github: self = .github
            case .shopify: self = .shopify
            case .standardWebhooks: self = .standardWebhooks
            case .plaid, .linkmoney, .ledgersync, .hmac: return nil
            }
        }
    }

    /// How an `hmac` sender writes its digest.
    public enum DigestEncoding: String, Sendable, CaseIterable {
        case hex
        case base64
    }

    public var format: Format
    /// Any one may match (rotation). Never empty.
    public var secrets: [SignatureSecret]
    /// Seconds a timestamp may lie from now, in either direction, for the formats with one
    /// (Stripe, Standard Webhooks).
    public var maxAge: Int

    public init(format: Format, secrets: [SignatureSecret], maxAge: Int = 300) {
        self.format = format
        self.secrets = secrets
        self.maxAge = maxAge
    }

    /// The request headers the signature check reads.
    public var headerNames: [String] {
        switch format {
        case .stripe: return ["Stripe-Signature"]
        case .github: return ["X-Hub-Signature-256"]
        case .shopify: return ["X-Shopify-Hmac-Sha256"]
        case .standardWebhooks: return ["webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp", "svix-signature"]
        case .hmac(let header, _, _, _): return [header]
        }
    }
}
