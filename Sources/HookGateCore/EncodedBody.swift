import Foundation

/// A body as a JSON document carries it (capture files, the file handler's lines, the
/// admin event detail): its text when the bytes are valid UTF-8, otherwise their
/// base64 (standard alphabet, padded), so any body survives the round trip byte-exact.
public enum EncodedBody: Sendable, Equatable {
    /// The body is valid UTF-8; this is its text.
    case utf8(String)
    /// The body is not valid UTF-8; this is its base64.
    case base64(String)

    /// Encodes `body`: as text when it is valid UTF-8, else as base64.
    public init(_ body: [UInt8]) {
        if let text = String(validating: body, as: UTF8.self) {
            self = .utf8(text)
        } else {
            self = .base64(Data(body).base64EncodedString())
        }
    }

    /// The text, when the body is valid UTF-8.
    public var text: String? {
        if case .utf8(let text) = self { return text }
        return nil
    }

    /// The base64, when the body is not valid UTF-8.
    public var base64: String? {
        if case .base64(let encoded) = self { return encoded }
        return nil
    }
}
