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
    public static func classifyParsed(provider: Provider, body: [UInt8]) throws(HookGateError) -> (id: String, type: String, json: JSONValue) {
        switch provider {
        case .plaid, .linkmoney:
            let json: JSONValue
            do {
                json = try JSONParser.parse(body, options: .strict)
            } catch {
                throw HookGateError(.malformedBody, "body is not JSON: \(error.reason)")
            }
            guard json.objectMembers != nil else { throw HookGateError(.malformedBody, "body is not a JSON object") }
            let type = json["webhook_type"]?.stringValue ?? "UNKNOWN"
            let code = json["webhook_code"]?.stringValue ?? "UNKNOWN"
            return ("sha256:" + SHA256.hexHash(body), "\(type).\(code)", json)
        case .ledgersync:
            let json: JSONValue
            do {
                json = try JSONParser.parse(body, options: .trailingCommas)
            } catch {
                throw HookGateError(.malformedBody, "body is not JSON: \(error.reason)")
            }
            guard json.objectMembers != nil else { throw HookGateError(.malformedBody, "body is not a JSON object") }
            guard let raw = json["eventId"]?.stringValue else { throw HookGateError(.missingEventID, "eventId is missing or not a string") }
            let id = raw.trimmingCharacters()
            guard !id.isEmpty else { throw HookGateError(.missingEventID, "eventId is empty") }
            guard id.utf8.count <= maxEventIDLength, !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw HookGateError(.missingEventID, "eventId is longer than \(maxEventIDLength) bytes or has control characters")
            }
            return (id, json["eventType"]?.stringValue ?? "unknown", json)
        }
    }
}

extension String {
    /// Without leading and trailing Unicode white space.
    func trimmingCharacters() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
