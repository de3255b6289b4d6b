import Foundation
import JOSE

/// A captured webhook as `hookgate events export` writes it and `hookgate replay`
/// reads it: the provider, the original headers, when it was received, and the body
/// byte for byte (as text when UTF-8, else base64).
///
/// Files are named `*.capture.json`. `body_sha256` lets a reader check the body survived.
public struct CaptureFile: Codable, Sendable, Equatable {
    /// Always 1 (the format version); its presence marks a file as a capture.
    public var hookgateCapture: Int
    public var provider: String
    public var eventId: String
    public var eventType: String
    /// ISO 8601.
    public var receivedAt: String
    /// The kept headers, in order: `[name, value]` pairs.
    public var headers: [[String]]
    public var body: String?
    public var bodyBase64: String?
    public var bodySha256: String

    public init(provider: Provider, eventID: String, eventType: String, receivedAt: Date, headers: [(String, String)], body: [UInt8]) {
        hookgateCapture = 1
        self.provider = provider.rawValue
        eventId = eventID
        self.eventType = eventType
        self.receivedAt = receivedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        self.headers = headers.map { [$0.0, $0.1] }
        let encoded = EncodedBody(body)
        self.body = encoded.text
        bodyBase64 = encoded.base64
        bodySha256 = SHA256.hexHash(body)
    }

    /// The body bytes.
    /// - Throws: when neither body form is present or the hash does not match.
    public func bodyBytes() throws -> [UInt8] {
        let bytes: [UInt8]
        if let body {
            bytes = Array(body.utf8)
        } else if let bodyBase64, let data = Data(base64Encoded: bodyBase64) {
            bytes = Array(data)
        } else {
            throw ConfigurationError(path: "body", "the capture has no body")
        }
        guard SHA256.hexHash(bytes) == bodySha256 else { throw ConfigurationError(path: "body_sha256", "the body does not match body_sha256") }
        return bytes
    }

    /// Encodes as pretty JSON.
    public func encoded() throws -> Data {
        var data = try SnakeCaseJSON.encoder(pretty: true).encode(self)
        data.append(0x0A)
        return data
    }

    /// Decodes a capture; `nil` when the data is not one.
    public static func decode(_ data: Data) -> CaptureFile? {
        guard let capture = try? SnakeCaseJSON.decoder().decode(CaptureFile.self, from: data), capture.hookgateCapture == 1 else { return nil }
        return capture
    }
}
