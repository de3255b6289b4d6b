import Foundation

/// The JSON every HookGate document uses on the wire and on disk (`/stats`,
/// `/events`, `events --json`, capture files): snake_case keys, sorted, unescaped slashes.
public enum SnakeCaseJSON {
    /// An encoder; `pretty` for files and terminals.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A decoder for documents written by ``encoder(pretty:)``.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
