import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Every request the gate and its commands make: handler deliveries, key fetches, replay and
/// the admin client. One façade over two transports, chosen by the URL's scheme:
///
/// - `http://` goes through ``HTTPConnectionPool`` (SwiftNIO, one flush per request; 1.6 times
///   AsyncHTTPClient's delivery rate, docs/architecture.md);
/// - `https://` goes through AsyncHTTPClient on swift-nio-ssl (``AsyncHTTPClientPool``).
///
/// Either way: at most `connectionsPerHost` connections are open to one host and port at a
/// time (idle, busy or connecting), and a request that finds none free waits for one until
/// its deadline; at most `limit` answer bytes are kept; the whole exchange, waiting and body
/// included, ends within `timeout`; redirects are never followed. On `http://`, a request
/// whose kept-alive connection was closed by the server before any byte of answer is sent
/// once more on a new connection (the stale keep-alive race); no other failure is retried,
/// so a request the server may have processed is never sent twice. No URLSession, so no
/// libcurl or FoundationNetworking in the binary.
///
/// A client that was used must be shut down, unless it lives as long as the process (``shared``).
package final class OutboundHTTPClient: Sendable {
    /// The process-wide client for key fetches (8 connections per host; never shut down).
    package static let shared = OutboundHTTPClient(connectionsPerHost: 8)

    /// A complete answer within the bounds.
    package struct Answer: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var body: [UInt8]

        /// The first value of header `name` (case-insensitive).
        package func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Why an exchange gave no complete answer.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    /// What to do with body bytes past the limit.
    package enum Overflow: Sendable {
        /// The answer is refused and its connection closed (a key endpoint's answer must fit).
        case fail
        /// They are read and dropped: ``Answer/body`` holds the first `limit` bytes (a
        /// handler's answer, of which only an excerpt is kept).
        case discard
    }

    /// The most connections open to one host and port at a time.
    package let connectionsPerHost: Int
    private let plain: HTTPConnectionPool
    private let secure: AsyncHTTPClientPool

    /// - Parameters:
    ///   - connectionsPerHost: the most connections open to one host and port at a time; more
    ///     requests wait for a free one, until their deadline.
    ///   - idleTimeout: seconds an unused `https` keep-alive connection stays open.
    ///   - retryConnecting: for `https`, keep trying to connect (with backoff, until the deadline)
    ///     instead of failing at once when a host refuses the connection. `http` fails at once.
    ///   - group: the event loops of `http` connections.
    package init(
        connectionsPerHost: Int, idleTimeout: Double = 60, retryConnecting: Bool = true,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.connectionsPerHost = max(1, connectionsPerHost)
        plain = HTTPConnectionPool(connectionsPerHost: self.connectionsPerHost, group: group)
        secure = AsyncHTTPClientPool(connectionsPerHost: self.connectionsPerHost, idleTimeout: idleTimeout, retryConnecting: retryConnecting)
    }

    /// Sends `method` to `url` (`http` or `https`) and reads the answer.
    /// - Throws: ``Failure`` when the URL is not http(s), the host is unreachable, the answer is
    ///   longer than `limit` bytes (with `overflow: .fail`), the exchange, waiting for a
    ///   connection and body included, does not finish within `timeout` seconds, or the
    ///   client is shut down.
    package func send(
        _ method: HTTPMethod, url: String, headers: [(String, String)], body: [UInt8], limit: Int, overflow: Overflow = .fail, timeout: Double
    ) async throws(Failure) -> Answer {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host,
            !host.isEmpty
        else { throw Failure(description: "not an absolute URL: \(url)") }
        switch scheme {
        case "https":
            return try await secure.send(method, url: url, headers: headers, body: body, limit: limit, overflow: overflow, timeout: timeout)
        case "http":
            var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            if let query = components.percentEncodedQuery { target += "?" + query }
            let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1_000_000_000))
            do {
                let answer = try await plain.execute(
                    host: host, port: components.port ?? 80, method: method, target: target, headers: headers, body: body, limit: limit,
                    overflow: overflow, deadline: deadline)
                return Answer(status: answer.status, headers: answer.headers, body: answer.body)
            } catch let failure as HTTPConnectionPool.Failure {
                throw Failure(description: failure.description)
            } catch is CancellationError {
                throw Failure(description: "cancelled")
            } catch {
                throw Failure(description: "\(error)")
            }
        default:
            throw Failure(description: "unsupported scheme \(scheme) in \(url)")
        }
    }

    /// Closes every connection; later exchanges fail. Waits for `https` exchanges in flight to be cancelled.
    package func shutdown() async {
        plain.shutdown()
        await secure.shutdown()
    }
}
