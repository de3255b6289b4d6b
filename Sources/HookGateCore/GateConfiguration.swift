/// Everything `hookgate serve` needs, validated. Built by ``ConfigurationLoader`` from
/// the YAML of ../shared/contract/hookgate.example.yaml, or ``embeddedDefaults``.
public struct GateConfiguration: Sendable {
    /// The public listener: webhook routes only.
    public struct Server: Sendable {
        public var host: String = "127.0.0.1"
        public var port: Int = 8080
        /// Larger bodies are refused with 413 `body_too_large`.
        public var maxBodyBytes: Int = 1_048_576
        /// Peers whose `X-Forwarded-For` is believed.
        public var trustedProxies: [CIDR] = [CIDR("127.0.0.1/32")!, CIDR("::1/128")!]
        /// Seconds a connection may take to deliver a whole request, and may sit idle.
        public var readTimeout: Int = 10
        /// Open connections accepted at once; past it, new connections wait in the listen backlog.
        public var maxConnections: Int = 4096
        public init() {}
    }

    /// The admin listener: health, stats, metrics, events, the console.
    public struct Admin: Sendable {
        public var host: String = "127.0.0.1"
        public var port: Int = 9091
        /// The bearer token every admin route but `/healthz` and `/readyz` requires when set
        /// (at least ``minimumTokenBytes``; required when ``host`` is not a loopback address).
        public var token: String?
        /// The shortest admin token accepted.
        public static let minimumTokenBytes = 16
        public init() {}

        /// Whether ``host`` names only this machine (`localhost`, 127.0.0.0/8, `::1`).
        public var isLoopback: Bool {
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            if bare.lowercased() == "localhost" { return true }
            guard let address = IPAddress(bare) else { return false }
            return CIDR("127.0.0.0/8")!.contains(address) || CIDR("::1/128")!.contains(address)
        }
    }

    /// How hard a commit is before the sender gets its 200.
    public enum Durability: String, Sendable {
        /// fsync before acknowledging: survives power loss.
        case full
        /// WAL without fsync on every commit: survives a process crash, not power loss.
        case normal
    }

    /// The store: an embedded SQLite file (`path`, the default) or a PostgreSQL database
    /// that several gates may share (`url`); exactly one of the two.
    public struct Database: Sendable {
        /// The SQLite file, used when ``url`` is `nil`.
        public var path: String = "hookgate.sqlite"
        /// The PostgreSQL database, when set (then ``path`` is not used).
        public var url: DatabaseURL?
        public var durability: Durability = .full
        /// Seconds events are kept; also the dedup window. Never below 3 days (LedgerSync retries for 3 days).
        public var retention: Int = 604_800
        public init() {}
    }

    /// Where a provider's verification keys come from.
    public enum KeySourceSettings: Sendable {
        /// Fetched on demand from the sender's key endpoint.
        case remote(url: String, credentials: [(String, String)], timeout: Double)
        /// A JWKS file, read at start.
        case pinnedFile(path: String)
        /// A JWKS given inline (the embedded development keys).
        case pinnedJSON(name: String, json: String)
    }

    /// How a provider's webhooks are authenticated.
    public enum Verification: Sendable {
        /// An ES256 JWS in `header` (Plaid's scheme).
        case jwt(header: String, keys: KeySourceSettings, maxAge: Int)
        /// A shared secret compared in constant time with the value of `header`.
        case token(header: String, secret: String)
        /// An HMAC or Ed25519 signature by a shared-secret sender (Stripe, GitHub, Shopify,
        /// Standard Webhooks, `hmac`).
        case signature(SignatureScheme)
        /// No authentication: only when written explicitly.
        case none
    }

    /// One sender's intake.
    public struct ProviderSettings: Sendable {
        /// The name under `providers:`.
        public var provider: Provider
        /// How its webhooks are verified and identified.
        public var kind: ProviderKind
        public var path: String
        public var verification: Verification
        /// Where the event id and type come from.
        public var identity: EventIdentity
        /// When set, only these client addresses may post to this route (403 `forbidden_source`).
        public var allowedIPs: [CIDR]?

        /// Settings for `provider`; `kind` defaults to the one its name implies (the built-in
        /// three), `identity` to the kind's.
        public init(
            provider: Provider, kind: ProviderKind? = nil, path: String, verification: Verification, identity: EventIdentity? = nil,
            allowedIPs: [CIDR]? = nil
        ) {
            let kind = kind ?? ProviderKind(impliedBy: provider) ?? .hmac
            self.provider = provider
            self.kind = kind
            self.path = path
            self.verification = verification
            self.identity = identity ?? EventIdentity(kind: kind)
            self.allowedIPs = allowedIPs
        }

        /// The request headers, besides the JWT/token header, that verification and identity
        /// read: the intake copies these from the request head.
        public var requestHeaderNames: [String] {
            var names = identity.headerNames
            if case .signature(let scheme) = verification { names = scheme.headerNames + names }
            var seen: [String] = []
            for name in names where !seen.contains(where: { RequestHeaders.sameName($0, name) }) { seen.append(name) }
            return seen
        }
    }

    /// How a handler receives events.
    public enum HandlerKind: Sendable {
        case http(url: String, timeout: Double, secret: String?)
        case file(path: String, durability: Durability)
        case exec(command: [String], timeout: Double)
    }

    /// A local handler events are fanned out to.
    public struct Handler: Sendable {
        public var name: String
        public var match: [EventPattern]
        public var kind: HandlerKind
        /// A body field (dotted path) whose value orders deliveries: same value, one at a time, in arrival order.
        public var orderKey: String?
        /// The most attempts in flight to this handler at once.
        public var concurrency: Int
        public init(name: String, match: [EventPattern], kind: HandlerKind, orderKey: String? = nil, concurrency: Int = 64) {
            self.name = name
            self.match = match
            self.kind = kind
            self.orderKey = orderKey
            self.concurrency = concurrency
        }
    }

    /// The retry schedule and overall concurrency of the fan-out.
    public struct Delivery: Sendable {
        /// Seconds before the first retry; each retry doubles it (with jitter) up to ``maxBackoff``.
        public var initialBackoff: Double = 5
        /// The longest wait between two attempts, in seconds.
        public var maxBackoff: Double = 3600
        /// Seconds after which a delivery that never succeeded is dead (kept, counted, redeliverable).
        public var giveUpAfter: Double = 259_200
        /// The most attempts in flight across all handlers.
        public var concurrency: Int = 128
        /// Seconds a claimed delivery stays with the gate that claimed it; the gate renews
        /// the lease while the attempt runs. Once it runs out (the gate died), another gate
        /// (or this one after a restart) claims the delivery again.
        public var lease: Int = 30
        public init() {}
    }

    /// The quarantine of refused webhooks (`quarantine:`).
    public struct QuarantineSettings: Sendable {
        /// `quarantine.enabled`: keep requests refused with 400 or 401.
        public var enabled = true
        /// `quarantine.max_bytes`: the most bytes kept (``RejectedRequest/keptBytes``); the oldest go first.
        public var maxBytes: Int64 = 64 * 1_048_576
        /// `quarantine.retention`: seconds a refused request is kept.
        public var retention: Int = 604_800
    }

    public var server = Server()
    public var quarantine = QuarantineSettings()
    public var admin = Admin()
    public var database = Database()
    /// The providers served, one route each.
    public var providers: [ProviderSettings] = []
    public var handlers: [Handler] = []
    public var delivery = Delivery()
    /// Key cache tuning: seconds an unknown `kid` stays negatively cached, and
    /// the most key fetches per provider per minute.
    public var keyCooldown: Int = 60
    public var maxKeyFetchesPerMinute: Int = 30

    public init() {}

    /// The settings of `provider`, when it is served.
    public func settings(for provider: Provider) -> ProviderSettings? {
        providers.first { $0.provider == provider }
    }

    /// The configuration `hookgate serve` uses without `--config`: loopback listeners
    /// on 8080/9091, `./hookgate.sqlite` with full durability, the three JWT providers
    /// verified against the development keys compiled into the binary (no network), and
    /// `stripe`, `github`, `shopify` and `standard-webhooks` (each named after its kind)
    /// verified with the kinds' development secrets (``DevelopmentSecrets``; Standard
    /// Webhooks also with the development Ed25519 key).
    public static var embeddedDefaults: GateConfiguration {
        var configuration = GateConfiguration()
        let keys = KeySourceSettings.pinnedJSON(name: "embedded development keys (Keys/dev.jwks.json)", json: DevelopmentKeys.jwksJSON)
        configuration.providers = Provider.builtIn.map {
            ProviderSettings(provider: $0, path: $0.defaultPath, verification: .jwt(header: $0.defaultVerificationHeader, keys: keys, maxAge: 300))
        }
        for kind in ProviderKind.allCases {
            guard let format = SignatureScheme.Format(kind: kind) else { continue }
            var texts = [DevelopmentSecrets.secret(for: kind)!]
            if kind == .standardWebhooks { texts.append(DevelopmentSecrets.ed25519PublicKey) }
            let secrets = texts.compactMap { text -> SignatureSecret? in
                if case .success(let secret) = SignatureSecret.parse(text, kind: kind) { return secret }
                return nil
            }
            let provider = Provider(rawValue: kind.rawValue)!
            configuration.providers.append(
                ProviderSettings(provider: provider, kind: kind, path: provider.defaultPath, verification: .signature(SignatureScheme(format: format, secrets: secrets))))
        }
        return configuration
    }
}
