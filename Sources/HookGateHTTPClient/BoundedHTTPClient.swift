import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Outbound HTTP whose answers are bounded: at most `limit` body bytes are kept (a
/// longer body, announced by `Content-Length` or not, either ends the exchange and
/// closes its connection or is read and dropped), and the whole exchange, body
/// included, must finish before its deadline. Redirects are never followed.
///
/// Transport is AsyncHTTPClient on SwiftNIO, HTTP/1.1 keep-alive connections pooled per
/// host (HTTP/2 when an `https` server offers it); `https` goes through swift-nio-ssl,
/// the transport's own TLS stack (webhook cryptography stays on the system OpenSSL, in
/// JOSE). The AsyncHTTPClient instance is made on the first exchange, so a client that
/// is never used needs no ``shutdown()``; one that was used must be shut down unless it
/// lives as long as the process (``shared``).
package final class BoundedHTTPClient: Sendable {
    /// The process-wide client for key fetches (8 connections per host; never shut down).
    package static let shared = BoundedHTTPClient(connectionsPerHost: 8)

    private enum State: Sendable {
        case idle
        case running(HTTPClient)
        case shutDown
    }

    private let configuration: HTTPClient.Configuration
    private let state = Mutex(State.idle)

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
        /// The answer is refused (a key endpoint's answer must fit).
        case fail
        /// They are read and dropped: ``Answer/body`` holds the first `limit` bytes (a
        /// handler's answer, of which only an excerpt is kept).
        case discard
    }

    /// - Parameters:
    ///   - connectionsPerHost: the most connections open to one host at a time (AsyncHTTPClient's
    ///     `concurrentHTTP1ConnectionsPerHostSoftLimit`); more requests wait for a free one.
    ///   - idleTimeout: seconds an unused keep-alive connection stays open.
    ///   - retryConnecting: keep trying to connect (with backoff, until the deadline) instead of
    ///     failing at once when a host refuses the connection.
    package init(connectionsPerHost: Int, idleTimeout: Double = 60, retryConnecting: Bool = true) {
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        pool.retryConnectionEstablishment = retryConnecting
        configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), connectionPool: pool)
    }

    /// Sends `method` to `url` and reads the answer.
    /// - Throws: ``Failure`` when the host is unreachable, the answer is longer than
    ///   `limit` bytes (with `overflow: .fail`), the exchange, body included, does not
    ///   finish within `timeout` seconds, or the client is shut down.
    package func send(
        _ method: HTTPMethod, url: String, headers: [(String, String)], body: [UInt8], limit: Int, overflow: Overflow = .fail, timeout: Double
    ) async throws(Failure) -> Answer {
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: method, headers: HTTPHeaders(headers), body: .byteBuffer(ByteBuffer(bytes: body)))
        } catch {
            throw Failure(description: "\(error)")
        }
        let client = try running()
        // The delegate API's deadline covers the whole exchange, body included, on the event
        // loop: no task or timer per request beyond the one AsyncHTTPClient schedules.
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1_000_000_000))
        let task = client.execute(request: request, delegate: BoundedAnswerCollector(limit: limit, overflow: overflow), deadline: deadline)
        do {
            return try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch let failure as Failure {
            throw failure
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw Failure(description: "no complete answer within \(timeout) s")
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    /// Closes every connection; later exchanges fail. Waits for exchanges in flight to be cancelled.
    package func shutdown() async {
        let client = state.withLock { state -> HTTPClient? in
            defer { state = .shutDown }
            if case .running(let client) = state { return client }
            return nil
        }
        try? await client?.shutdown()
    }

    private func running() throws(Failure) -> HTTPClient {
        let client = state.withLock { state -> HTTPClient? in
            switch state {
            case .running(let client):
                return client
            case .idle:
                let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
                state = .running(client)
                return client
            case .shutDown:
                return nil
            }
        }
        guard let client else { throw Failure(description: "the HTTP client is shut down") }
        return client
    }
}
