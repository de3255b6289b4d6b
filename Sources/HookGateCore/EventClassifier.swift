import JOSE

/// Derives an event's identity (the dedup key) and type from its raw body and headers,
/// as the contract defines them per kind (see ``EventIdentity``).
///
/// - Plaid, LinkMoney: id `sha256:<hex of the raw body>`; type `WEBHOOK_TYPE.WEBHOOK_CODE`.
///   The body must be a JSON object (`malformed_body` otherwise).
/// - LedgerSync: id is `eventId` with surrounding white space removed; type `eventType`.
///   The body is parsed tolerating trailing commas, because LedgerSync's documented
///   payload carries one.
/// - Stripe, GitHub, Shopify, Standard Webhooks, `hmac`: the contract's table.
///
/// An id that is missing, empty, longer than ``maxEventIDLength`` bytes or not printable
/// is `missing_event_id`: never replaced silently by a body hash.
public enum EventClassifier {
    /// The longest event id accepted (after trimming).
    public static let maxEventIDLength = 256
    /// The longest event type kept; a longer one is cut to this many bytes' worth of characters.
    public static let maxEventTypeLength = 256

    /// The identity and type of a built-in provider's body (Plaid, LinkMoney, LedgerSync).
    public static func classify(provider: Provider, body: [UInt8]) throws(HookGateError) -> (id: String, type: String) {
        let identity = EventIdentity(kind: ProviderKind(impliedBy: provider) ?? .hmac)
        let classified = try classifyParsed(identity: identity, body: body, headers: RequestHeaders())
        return (classified.id, classified.type)
    }

    /// The identity and type of a built-in provider's body, with the parsed body.
    public static func classifyParsed(
        provider: Provider, body: [UInt8], bodySHA256: String? = nil
    ) throws(HookGateError) -> (id: String, type: String, json: JSONValue) {
        let identity = EventIdentity(kind: ProviderKind(impliedBy: provider) ?? .hmac)
        return try classifyParsed(identity: identity, body: body, headers: RequestHeaders(), bodySHA256: bodySHA256)
    }

    /// The identity, type and parsed body (for handler order keys; `null` when the body need not be JSON and is not).
    /// - Parameter bodySHA256: the body's lowercase hex SHA-256 when the caller already
    ///   computed it (the verifier does), so the body is hashed once per webhook.
    public static func classifyParsed(
        identity: EventIdentity, body: [UInt8], headers: RequestHeaders, bodySHA256: String? = nil
    ) throws(HookGateError) -> (id: String, type: String, json: JSONValue) {
        let json: JSONValue
        if let options = identity.json {
            json = try object(body, options: options)
        } else {
            json = (try? JSONParser.parse(body, options: .trailingCommas)) ?? .null
        }
        let id: String
        switch identity.id {
        case .bodySHA256:
            id = "sha256:" + (bodySHA256 ?? SHA256.hexHash(body))
        case .json(let pointer, let integers):
            let value = pointer.resolve(in: json)
            guard let raw = value?.stringValue ?? (integers ? value?.int64Value.map(String.init) : nil) else {
                throw HookGateError(.missingEventID, "\(pointer.description.isEmpty ? "the body" : pointer.description) is missing or not a string")
            }
            id = try checked(raw.trimmingWhiteSpace(), from: pointer.description)
        case .header(let names):
            guard let raw = names.lazy.compactMap({ headers.first($0) }).first else {
                throw HookGateError(.missingEventID, "no \(names.joined(separator: " or ")) header")
            }
            id = try checked(raw.trimmingWhiteSpace(), from: names[0])
        }
        return (id, type(identity.type, json: json, headers: headers), json)
    }

    private static func type(_ source: EventIdentity.TypeSource, json: JSONValue, headers: RequestHeaders) -> String {
        let type: String
        switch source {
        case .plaidCodes:
            type = "\(json["webhook_type"]?.stringValue ?? "UNKNOWN").\(json["webhook_code"]?.stringValue ?? "UNKNOWN")"
        case .json(let pointer, let fallback):
            type = pointer.resolve(in: json)?.stringValue ?? fallback
        case .header(let name, let fallback):
            type = headers.first(name)?.trimmingWhiteSpace() ?? fallback
        case .githubEvent:
            let event = headers.first("X-GitHub-Event")?.trimmingWhiteSpace() ?? "unknown"
            type = json["action"]?.stringValue.map { "\(event).\($0)" } ?? event
        case .none:
            type = ""
        }
        if type.utf8.count <= maxEventTypeLength, type.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) { return type }
        let printable = String(String.UnicodeScalarView(type.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return printable.utf8.count <= maxEventTypeLength ? printable : String(printable.prefix(maxEventTypeLength))
    }

    /// `id` when it is usable as an event id.
    private static func checked(_ id: String, from source: String) throws(HookGateError) -> String {
        guard !id.isEmpty else { throw HookGateError(.missingEventID, "\(source) is empty") }
        guard id.utf8.count <= maxEventIDLength, !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw HookGateError(.missingEventID, "\(source) is longer than \(maxEventIDLength) bytes or has control characters")
        }
        return id
    }

    /// The body parsed as a JSON object.
    /// - Throws: `malformed_body` when it is not JSON (under `options`) or not an object.
    private static func object(_ body: [UInt8], options: JSONParser.Options) throws(HookGateError) -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, options: options)
        } catch {
            throw HookGateError(.malformedBody, "body is not JSON: \(error.reason)")
        }
        guard json.objectMembers != nil else { throw HookGateError(.malformedBody, "body is not a JSON object") }
        return json
    }
}
