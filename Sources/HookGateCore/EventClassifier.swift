import JOSE

/// Derives an event's identity (the dedup key) and type from its raw body, as the
/// contract defines them.
///
/// - Plaid, LinkMoney: id `sha256:<hex of the raw body>`; type `WEBHOOK_TYPE.WEBHOOK_CODE`.
///   The body must be a JSON object (`malformed_body` otherwise).
/// - LedgerSync: id is `eventId` with surrounding white space removed; type `eventType`.
///   The body is parsed tolerating trailing commas, because LedgerSync's documented
///   payload carries one; no usable `eventId` gives `missing_event_id`.
public enum EventClassifier {
    /// The longest LedgerSync `eventId` accepted (after trimming).
    public static let maxEventIDLength = 256

    /// The identity and type of a body.
    public static func classify(provider: Provider, body: [UInt8]) throws(HookGateError) -> (id: String, type: String) {
        let classified = try classifyParsed(provider: provider, body: body)
        return (classified.id, classified.type)
    }

    /// The identity, type and parsed body (for handler order keys).
    /// - Parameter bodySHA256: the body's lowercase hex SHA-256 when the caller already
    ///   computed it (the verifier does), so the body is hashed once per webhook.
    public static func classifyParsed(
        provider: Provider, body: [UInt8], bodySHA256: String? = nil
    ) throws(HookGateError) -> (id: String, type: String, json: JSONValue) {
        switch provider {
        case .plaid, .linkmoney:
            let json = try object(body, options: .strict)
            let type = json["webhook_type"]?.stringValue ?? "UNKNOWN"
            let code = json["webhook_code"]?.stringValue ?? "UNKNOWN"
            return ("sha256:" + (bodySHA256 ?? SHA256.hexHash(body)), "\(type).\(code)", json)
        case .ledgersync:
            let json = try object(body, options: .trailingCommas)
            guard let raw = json["eventId"]?.stringValue else { throw HookGateError(.missingEventID, "eventId is missing or not a string") }
            let id = raw.trimmingWhiteSpace()
            guard !id.isEmpty else { throw HookGateError(.missingEventID, "eventId is empty") }
            guard id.utf8.count <= maxEventIDLength, !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw HookGateError(.missingEventID, "eventId is longer than \(maxEventIDLength) bytes or has control characters")
            }
            return (id, json["eventType"]?.stringValue ?? "unknown", json)
        }
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
