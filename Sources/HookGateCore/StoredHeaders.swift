import JOSE

/// How a backend keeps an event's headers: a JSON array of `[name, value]` pairs, in order
/// (names may repeat, so not an object). Every backend stores the same text.
public enum StoredHeaders {
    /// The headers as stored.
    public static func encode(_ headers: [(String, String)]) -> String {
        "[" + headers.map { "[\(JSONValue.quote($0.0)),\(JSONValue.quote($0.1))]" }.joined(separator: ",") + "]"
    }

    /// The headers read back; pairs that are not two strings are skipped, unreadable text gives none.
    public static func decode(_ text: String) -> [(String, String)] {
        guard case .array(let pairs)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return pairs.compactMap { pair in
            guard case .array(let items) = pair, items.count == 2, let name = items[0].stringValue, let value = items[1].stringValue else {
                return nil
            }
            return (name, value)
        }
    }

    /// The `Content-Type` among `headers`, if any (case-insensitive name).
    public static func contentType(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0.lowercased() == "content-type" }?.1
    }
}
