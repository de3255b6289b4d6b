import Foundation
import HookGateCore
import HookGateHTTPClient
import JOSE

/// Requests to a running gate's admin listener, as the commands that talk to it make them
/// (`hookgate stats`, `hookgate rejected`): the bearer token when one is given, JSON bodies
/// in the contract's snake_case, and the two failures every such command reports the same
/// way (the gate unreachable, the token missing or wrong).
package struct AdminClient: Sendable {
    /// The admin listener's base URL (`http://127.0.0.1:9091`); paths are appended to it.
    package let base: URL
    /// The admin token (`admin.token`), or `nil` to send none.
    package let token: String?

    /// One connection, lives as long as the process; a refused connection fails at once
    /// (no reconnect backoff: a gate that is down is reported, not waited for).
    static let client = OutboundHTTPClient(connectionsPerHost: 1, retryConnecting: false)

    /// Why a request gave no answer a command can use; ``description`` is one line for standard error.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package let description: String
    }

    /// A complete answer of the admin listener.
    package struct Answer: Sendable {
        /// The URL asked, without its query (for messages).
        package var url: URL
        package var status: Int
        package var body: Data

        /// The code of an admin error answer (`{"error":"<code>","message":"<explanation>"}`), when it is one.
        package var error: String? {
            (try? JSONParser.parse(Array(body)))?["error"]?.stringValue
        }

        /// The explanation of an admin error answer, in words, when it has one.
        package var message: String? {
            (try? JSONParser.parse(Array(body)))?["message"]?.stringValue
        }

        /// An error answer as one line for standard error: `no rejected request 9 (not_found)`.
        package var errorLine: String? {
            guard let error else { return nil }
            return message.map { "\($0) (\(error))" } ?? error
        }

        /// The body decoded from the contract's snake_case JSON, or `nil` when it is not a `T`.
        package func decoded<T: Decodable>(_ type: T.Type) -> T? {
            try? SnakeCaseJSON.decoder().decode(type, from: body)
        }
    }

    /// A client of the admin listener at `base`, sending `token` (an empty one is none).
    package init(base: URL, token: String?) {
        self.base = base
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `GET path?query`.
    /// - Throws: ``Failure`` when the gate is unreachable or answers 401 (the token).
    package func get(_ path: String, query: [(String, String)] = []) async throws(Failure) -> Answer {
        try await send(post: false, path, query: query, body: [], timeout: 30)
    }

    /// `POST path` with `body` as snake_case JSON; waits up to 10 minutes (a bulk recovery
    /// verifies and stores up to 10,000 requests).
    /// - Throws: ``Failure`` when the gate is unreachable or answers 401 (the token).
    package func post(_ path: String, body: some Encodable) async throws(Failure) -> Answer {
        let bytes = (try? SnakeCaseJSON.encoder().encode(body)).map { Array($0) } ?? Array("{}".utf8)
        return try await send(post: true, path, query: [], body: bytes, timeout: 600)
    }

    private func send(post: Bool, _ path: String, query: [(String, String)], body: [UInt8], timeout: Double) async throws(Failure) -> Answer {
        let url = base.appendingPathComponent(path)
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        let target = components?.url ?? url
        var headers: [(String, String)] = [("Accept", "application/json")]
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        // The package's one outbound HTTP client, not URLSession: no libcurl in the binary.
        let answer: OutboundHTTPClient.Answer
        do {
            answer = try await Self.client.send(
                post ? .POST : .GET, url: target.absoluteString, headers: headers, body: body, limit: 256 << 20, timeout: timeout)
        } catch {
            throw Failure(description: "cannot reach \(url): \(error.description)")
        }
        if answer.status == 401 {
            throw Failure(description: "\(url) needs the admin token: pass --token or set HOOKGATE_ADMIN_TOKEN")
        }
        return Answer(url: url, status: answer.status, body: Data(answer.body))
    }
}
