import Foundation
import HookGateHTTPClient
import JOSE

/// Sends replayed requests through the package's one outbound client (``OutboundHTTPClient``:
/// plain HTTP on pooled keep-alive connections, HTTPS on AsyncHTTPClient; no URLSession, so no
/// libcurl). A refused connection is answered `unreachable` at once (no reconnect backoff).
final class ReplaySender: Sendable {
    let base: URL
    let client: OutboundHTTPClient

    /// A sender to `base` with at most `connections` connections open to it.
    init(base: URL, connections: Int) {
        self.base = base
        client = OutboundHTTPClient(connectionsPerHost: connections, retryConnecting: false)
    }

    /// The answer: `accepted`, `duplicate`, an error code, `HTTP <status>` or `unreachable`.
    func send(path: String, headers: [(String, String)], body: [UInt8]) async -> String {
        let status: Int
        let answer: [UInt8]
        do {
            let response = try await client.send(
                .POST, url: base.appendingPathComponent(path).absoluteString, headers: headers, body: body, limit: 64 * 1024, overflow: .discard,
                timeout: 30)
            status = response.status
            answer = response.body
        } catch {
            return "unreachable"
        }
        let json = try? JSONParser.parse(answer)
        if status == 200, let value = json?["status"]?.stringValue { return value }
        return json?["error"]?.stringValue ?? "HTTP \(status)"
    }

    func shutdown() async {
        await client.shutdown()
    }
}
