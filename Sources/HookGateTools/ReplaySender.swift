import Foundation
import HookGateDispatch
import HookGateHTTPClient
import JOSE

/// Sends replayed requests: plain HTTP on pooled keep-alive connections, HTTPS through the
/// package's AsyncHTTPClient (``BoundedHTTPClient``; no URLSession, so no libcurl).
final class ReplaySender: Sendable {
    let base: URL
    let pool = HTTPConnectionPool()
    /// For `https` targets: lives as long as the process; a refused connection is answered
    /// `unreachable` at once, as before (no reconnect backoff).
    static let httpsClient = BoundedHTTPClient(connectionsPerHost: 64, retryConnecting: false)

    init(base: URL) {
        self.base = base
    }

    /// The answer: `accepted`, `duplicate`, an error code, `HTTP <status>` or `unreachable`.
    func send(path: String, headers: [(String, String)], body: [UInt8]) async -> String {
        let status: Int
        let answer: [UInt8]
        do {
            if base.scheme == "https" {
                let response = try await Self.httpsClient.send(
                    .POST, url: base.appendingPathComponent(path).absoluteString, headers: headers, body: body, limit: 64 * 1024,
                    overflow: .discard, timeout: 30)
                status = response.status
                answer = response.body
            } else {
                let prefix = base.path == "/" ? "" : base.path
                let response = try await pool.execute(
                    host: base.host ?? "127.0.0.1", port: base.port ?? 80, method: .POST, path: prefix + path, headers: headers, body: body,
                    timeout: .seconds(30))
                status = response.status
                answer = response.bodyExcerpt
            }
        } catch {
            return "unreachable"
        }
        let json = try? JSONParser.parse(answer)
        if status == 200, let value = json?["status"]?.stringValue { return value }
        return json?["error"]?.stringValue ?? "HTTP \(status)"
    }

    func shutdown() {
        pool.shutdown()
    }
}
