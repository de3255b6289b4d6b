import JOSE

/// Where a provider's event id (the dedup key, with the provider) and event type come
/// from, per kind as the contract's tables say; an `hmac` provider configures its own.
public struct EventIdentity: Sendable, Equatable {
    /// Where the event id comes from.
    public enum IDSource: Sendable, Equatable {
        /// `sha256:` + lowercase hex SHA-256 of the raw body.
        case bodySHA256
        /// A JSON string member (or integer, when `integers`), surrounding white space removed.
        case json(JSONPointer, integers: Bool)
        /// The first of these headers the request has.
        case header([String])
    }

    /// Where the event type comes from.
    public enum TypeSource: Sendable, Equatable {
        /// Plaid's `WEBHOOK_TYPE.WEBHOOK_CODE` (`UNKNOWN` for a missing half).
        case plaidCodes
        /// A JSON string member; `fallback` when absent.
        case json(JSONPointer, fallback: String)
        /// A header; `fallback` when absent.
        case header(String, fallback: String)
        /// GitHub: `X-GitHub-Event`, then `.` and the body's `action` when it has one.
        case githubEvent
        /// No type: empty.
        case none
    }

    public var id: IDSource
    public var type: TypeSource
    /// How the body is parsed as JSON; `nil` when it need not be JSON (an `hmac` sender
    /// whose id and type come from headers or the body hash).
    public var json: JSONParser.Options?

    public init(id: IDSource, type: TypeSource, json: JSONParser.Options?) {
        self.id = id
        self.type = type
        self.json = json
    }

    /// The identity a kind defines (for `hmac`, the default: body SHA-256, no type, any body).
    public init(kind: ProviderKind) {
        switch kind {
        case .plaid, .linkmoney:
            self.init(id: .bodySHA256, type: .plaidCodes, json: .strict)
        case .ledgersync:
            self.init(id: .json(JSONPointer("/eventId")!, integers: false), type: .json(JSONPointer("/eventType")!, fallback: "unknown"), json: .trailingCommas)
        case .stripe:
            self.init(id: .json(JSONPointer("/id")!, integers: false), type: .json(JSONPointer("/type")!, fallback: ""), json: .strict)
        case .github:
            self.init(id: .header(["X-GitHub-Delivery"]), type: .githubEvent, json: .strict)
        case .shopify:
            self.init(id: .header(["X-Shopify-Event-Id", "X-Shopify-Webhook-Id"]), type: .header("X-Shopify-Topic", fallback: ""), json: .strict)
        case .standardWebhooks:
            self.init(id: .header(["webhook-id", "svix-id"]), type: .json(JSONPointer("/type")!, fallback: ""), json: .strict)
        case .hmac:
            self.init(id: .bodySHA256, type: .none, json: nil)
        }
    }

    /// The request headers the identity reads.
    public var headerNames: [String] {
        var names: [String] = []
        if case .header(let list) = id { names += list }
        switch type {
        case .header(let name, _): names.append(name)
        case .githubEvent: names.append("X-GitHub-Event")
        default: break
        }
        return names
    }

    /// Whether the id is the body's hash (so a verifier's hash can be reused).
    public var idIsBodyHash: Bool { id == .bodySHA256 }
}
