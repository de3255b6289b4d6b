import JOSE

/// A webhook the gate refused with 400 or 401, kept in the quarantine so it can be
/// recovered once the configuration is fixed (`../shared/contract/README.md`, "Rejected
/// requests (quarantine)").
///
/// ``headers`` are the request's headers as received, except cookies (dropped) and
/// authorization headers the provider does not verify (masked when kept): the headers
/// verification reads are kept whole, since recovery verifies them again. Shown to an
/// operator, they go through ``maskedHeaders``.
public struct RejectedRequest: Sendable {
    /// The store's row id; `0` before it is stored.
    public var id: Int64
    /// The provider whose route refused it.
    public var provider: Provider
    /// The refusal's code (`bad_signature`, `stale_token`, `malformed_body`, ...).
    public var reason: HookGateError.Code
    /// When it was received, Unix milliseconds.
    public var receivedAt: Int64
    /// The client's address, as the intake resolved it.
    public var clientIP: String?
    /// The request target as received (path and query).
    public var path: String
    /// The intake request's id.
    public var requestID: String
    /// Name and value pairs in the order received (see the type's note).
    public var headers: [(String, String)]
    /// The body, byte for byte.
    public var body: [UInt8]
    /// Whether and how it was recovered, once it was.
    public var recovery: Recovery?

    /// What a recovery of a rejected request did.
    public struct Recovery: Sendable, Equatable, Codable {
        /// When, Unix milliseconds.
        public var at: Int64
        /// `accepted` (stored and fanned out now) or `duplicate` (the event was already stored).
        public var outcome: StoreOutcome
        /// The stored event's id.
        public var eventID: String
        /// Who asked: `admin_api`, `cli` or `console`.
        public var via: String

        // ``SnakeCaseJSON`` writes `eventID` as `event_id` but reads `event_id` back as
        // `eventId`: without this key a stored recovery would never decode.
        enum CodingKeys: String, CodingKey {
            case at, outcome, via
            case eventID = "eventId"
        }

        public init(at: Int64, outcome: StoreOutcome, eventID: String, via: String) {
            self.at = at
            self.outcome = outcome
            self.eventID = eventID
            self.via = via
        }
    }

    /// A refused request as the intake saw it.
    public init(
        id: Int64 = 0, provider: Provider, reason: HookGateError.Code, receivedAt: Int64, clientIP: String?, path: String, requestID: String,
        headers: [(String, String)], body: [UInt8], recovery: Recovery? = nil
    ) {
        self.id = id
        self.provider = provider
        self.reason = reason
        self.receivedAt = receivedAt
        self.clientIP = clientIP
        self.path = path
        self.requestID = requestID
        self.headers = headers
        self.body = body
        self.recovery = recovery
    }

    /// What the stored event records of its recovery, when this request was recovered.
    public var eventRecovery: EventRecovery? {
        recovery.map { EventRecovery(rejectedID: id, reason: reason.rawValue, via: $0.via, at: $0.at) }
    }

    /// Lowercase hex SHA-256 of the body.
    public var bodySHA256: String { SHA256.hexHash(body) }

    /// What it counts against `quarantine.max_bytes`: its body, its headers and 256 bytes
    /// for the rest of its row, so that a flood of empty bodies is bounded too.
    public var keptBytes: Int {
        body.count + headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 } + path.utf8.count + 256
    }

    /// The headers to show an operator: cookies dropped, and every header that may carry a
    /// credential (authorization, signatures, tokens, keys, secrets) cut to its first 8
    /// characters and `…`.
    public var maskedHeaders: [(String, String)] {
        headers.compactMap { name, value in
            if Self.isCookie(name) { return nil }
            return (name, Self.isCredential(name) ? Self.mask(value) : value)
        }
    }

    /// The headers to keep of a refused request: cookies dropped, `Authorization` and
    /// `Proxy-Authorization` masked unless `verified` names them (recovery reads those).
    public static func keptHeaders(_ headers: [(String, String)], verified: [String]) -> [(String, String)] {
        headers.compactMap { name, value in
            if isCookie(name) { return nil }
            let lowered = name.lowercased()
            if lowered == "authorization" || lowered == "proxy-authorization", !verified.contains(where: { RequestHeaders.sameName($0, name) }) {
                return (name, mask(value))
            }
            return (name, value)
        }
    }

    static func isCookie(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "cookie" || lowered == "set-cookie"
    }

    static func isCredential(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["authorization", "signature", "token", "verification", "hmac", "secret", "api-key", "apikey", "password"].contains {
            lowered.contains($0)
        }
    }

    static func mask(_ value: String) -> String {
        value.count <= 8 ? "…" : String(value.prefix(8)) + "…"
    }
}

extension HookGateError.Code {
    /// Whether a request refused with this code is kept in the quarantine: every 401 and
    /// the 400s of a complete body (`malformed_body`, `missing_event_id`). A body over
    /// `max_body_bytes` (413), a refused source (403) and a timeout (408) are not.
    public var isQuarantined: Bool {
        isVerificationFailure || self == .malformedBody || self == .missingEventID
    }
}
