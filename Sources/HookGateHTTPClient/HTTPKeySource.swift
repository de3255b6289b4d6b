import Foundation
import JOSE
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches keys from a sender's key endpoint (Plaid's `/webhook_verification_key/get`,
/// LinkMoney's `/webhook__verification_key`): a JSON `POST` of the credentials and
/// `key_id`, answered with `{"key": JWK, "request_id": ...}`.
///
/// Transport is Foundation's URLSession (libcurl on the system OpenSSL): HookGate
/// ships no TLS stack of its own. Only the answer's `key` is used, and only when its
/// `kid` is the one asked for.
public struct HTTPKeySource: KeySource {
    /// The endpoint.
    public let url: URL
    /// Body members sent with every request (`client_id` and `secret`/`client_secret`).
    public let credentials: [(String, String)]
    /// Seconds before a fetch counts as failed.
    public let timeout: Double
    private let session: URLSession

    public var isRemote: Bool { true }

    /// Creates a source for `url`.
    public init(url: URL, credentials: [(String, String)], timeout: Double) {
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    struct Answer: Decodable {
        let key: JWK?
    }

    public func fetchKey(keyID: String) async throws(HookGateError) -> JWK? {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let members = credentials.map { (JSONValue.quote($0.0), JSONValue.quote($0.1)) } + [(JSONValue.quote("key_id"), JSONValue.quote(keyID))]
        request.httpBody = Data(("{" + members.map { "\($0.0):\($0.1)" }.joined(separator: ",") + "}").utf8)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await withTimeout(seconds: timeout + 1) { [session, request] in
                try await session.data(for: request)
            }
        } catch {
            throw HookGateError(.keyUnavailable, "key endpoint \(url.host ?? "?") unreachable: \(error)", retryAfter: 30)
        }
        guard let http = response as? HTTPURLResponse else {
            throw HookGateError(.keyUnavailable, "key endpoint gave no HTTP answer", retryAfter: 30)
        }
        switch http.statusCode {
        case 200..<300:
            guard let answer = try? JSONDecoder().decode(Answer.self, from: data), let key = answer.key else {
                return nil  // "If the request does not return a key, reject the webhook."
            }
            guard key.keyID == keyID else {
                throw HookGateError(.keyUnavailable, "key endpoint answered kid \(key.keyID ?? "none") for \(keyID)", retryAfter: 30)
            }
            return key
        case 401, 403, 429, 500...:
            // Our credentials refused, throttled, or the sender is failing: not the token's fault.
            throw HookGateError(.keyUnavailable, "key endpoint answered HTTP \(http.statusCode)", retryAfter: http.statusCode == 429 ? 60 : 30)
        default:
            return nil  // 400/404: the sender does not know this key id.
        }
    }
}

/// Runs `operation`, failing with `CancellationError` after `seconds`.
func withTimeout<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw CancellationError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
