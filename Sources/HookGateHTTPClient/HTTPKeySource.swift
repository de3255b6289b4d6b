import Foundation
import HookGateCore
import JOSE

/// Fetches keys from a sender's key endpoint (Plaid's `/webhook_verification_key/get`,
/// LinkMoney's `/webhook__verification_key`): a JSON `POST` of the credentials and
/// `key_id`, answered with `{"key": JWK, "request_id": ...}`.
///
/// Transport is ``OutboundHTTPClient`` (AsyncHTTPClient for `https`, the NIO pool for `http`).
/// Every answer is bounded: at most ``maxResponseBytes`` are read (a longer body, announced or
/// not, is cut off), and the whole exchange, body included, must finish within `timeout`
/// seconds (`key_timeout`). An endpoint that is unreachable, slow, oversized, or that
/// answers something that is not a JSON object or a usable key is `key_unavailable` (503 with
/// `Retry-After`: the sender retries), never a verdict about the token. Only the
/// answer's `key` is used, and only when its `kid` is the one asked for.
package struct HTTPKeySource: KeySource {
    /// The most bytes of a key endpoint's answer that are read (a JWK answer is ~300 bytes).
    package static let maxResponseBytes = 16 * 1024

    /// The endpoint.
    package let url: URL
    /// Body members sent with every request (`client_id` and `secret`/`client_secret`).
    package let credentials: [(String, String)]
    /// Seconds before a fetch counts as failed, body included.
    package let timeout: Double
    private let client: OutboundHTTPClient

    package var isRemote: Bool { true }

    /// Creates a source for `url`.
    package init(url: URL, credentials: [(String, String)], timeout: Double, client: OutboundHTTPClient = .shared) {
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        self.client = client
    }

    /// The request body: the credentials and `key_id`, as one JSON object.
    func requestBody(keyID: String) -> [UInt8] {
        var members = Dictionary(credentials, uniquingKeysWith: { first, _ in first })
        members["key_id"] = keyID
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array((try? encoder.encode(members)) ?? Data())
    }

    package func fetchKey(keyID: String) async throws(HookGateError) -> JWK? {
        let answer: OutboundHTTPClient.Answer
        do {
            answer = try await client.send(
                .POST, url: url.absoluteString, headers: [("Content-Type", "application/json"), ("User-Agent", "HookGate")],
                body: requestBody(keyID: keyID), limit: HTTPKeySource.maxResponseBytes, timeout: timeout)
        } catch {
            throw HookGateError(.keyUnavailable, "key endpoint \(url.host ?? "?"): \(error)", retryAfter: 30)
        }
        switch answer.status {
        case 200..<300:
            return try HTTPKeySource.key(from: answer.body, asked: keyID)
        case 401, 403, 429, 500...:
            // Our credentials refused, throttled, or the sender is failing: not the token's fault.
            throw HookGateError(.keyUnavailable, "key endpoint answered HTTP \(answer.status)", retryAfter: answer.status == 429 ? 60 : 30)
        default:
            return nil  // 400/404: the sender does not know this key id.
        }
    }

    /// The key in a 2xx answer: `nil` when the answer says it has none (`key` absent or
    /// null: "if the request does not return a key, reject the webhook"); a body that is
    /// not a JSON object, or a `key` that is not a JWK, is `key_unavailable`.
    static func key(from body: [UInt8], asked keyID: String) throws(HookGateError) -> JWK? {
        guard case .object(let members)? = try? JSONParser.parse(body) else {
            throw HookGateError(.keyUnavailable, "key endpoint answered \(body.count) bytes that are not a JSON object", retryAfter: 30)
        }
        guard let member = members.last(where: { $0.0 == "key" })?.1, member != .null else { return nil }
        guard let key = try? JSONDecoder().decode(JWK.self, from: Data(member.compactText.utf8)), (try? key.publicKey()) != nil else {
            throw HookGateError(.keyUnavailable, "key endpoint answered a key that is not a usable EC P-256 JWK", retryAfter: 30)
        }
        guard key.keyID == keyID else {
            throw HookGateError(.keyUnavailable, "key endpoint answered kid \(key.keyID ?? "none") for \(keyID)", retryAfter: 30)
        }
        return key
    }
}
