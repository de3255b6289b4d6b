import Foundation
import HookGateDispatch
import JOSE

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends replayed requests: plain HTTP on pooled keep-alive connections, HTTPS through URLSession.
final class ReplaySender: Sendable {
    let base: URL
    let pool = HTTPConnectionPool()

    init(base: URL) {
        self.base = base
    }

    /// The answer: `accepted`, `duplicate`, an error code, `HTTP <status>` or `unreachable`.
    func send(path: String, headers: [(String, String)], body: [UInt8]) async -> String {
        let status: Int
        let answer: [UInt8]
        do {
            if base.scheme == "https" {
                var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: 30)
                request.httpMethod = "POST"
                for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
                request.httpBody = Data(body)
                let (data, response) = try await URLSession.shared.data(for: request)
                status = (response as? HTTPURLResponse)?.statusCode ?? 0
                answer = Array(data)
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
