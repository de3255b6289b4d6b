import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// ``OutboundHTTPClient``'s transport for `https://`: AsyncHTTPClient on SwiftNIO, HTTP/1.1
/// keep-alive connections pooled per host (HTTP/2 when the server offers it), TLS through
/// swift-nio-ssl, the transport's own TLS stack (webhook cryptography stays on the system
/// OpenSSL, in JOSE). At most `connectionsPerHost` connections are open to one host: the
/// requests are sent without an event loop requirement, so AsyncHTTPClient's "soft" limit is
/// never exceeded; more requests wait in its queue until their deadline. Redirects are never
/// followed. The AsyncHTTPClient instance is made on the first exchange, so a pool that is
/// never used needs no ``shutdown()``.
final class AsyncHTTPClientPool: Sendable {
    private typealias Answer = OutboundHTTPClient.Answer
    private typealias Failure = OutboundHTTPClient.Failure

    private enum State: Sendable {
        case idle
        case running(HTTPClient)
        case shutDown
    }

    private let configuration: HTTPClient.Configuration
    private let state = Mutex(State.idle)

    /// - Parameters:
    ///   - connectionsPerHost: the most connections open to one host at a time (AsyncHTTPClient's
    ///     `concurrentHTTP1ConnectionsPerHostSoftLimit`); more requests wait for a free one.
    ///   - idleTimeout: seconds an unused keep-alive connection stays open.
    ///   - retryConnecting: keep trying to connect (with backoff, until the deadline) instead of
    ///     failing at once when a host refuses the connection.
    init(connectionsPerHost: Int, idleTimeout: Double = 60, retryConnecting: Bool = true) {
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        pool.retryConnectionEstablishment = retryConnecting
        configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)), connectionPool: pool)
    }

    /// Sends `method` to `url` and reads the answer.
    /// - Throws: ``Failure`` when the host is unreachable, the answer is longer than
    ///   `limit` bytes (with `overflow: .fail`), the exchange, body included, does not
    ///   finish within `timeout` seconds, or the client is shut down.
    func send(
        _ method: HTTPMethod, url: String, headers: [(String, String)], body: [UInt8], limit: Int, overflow: OutboundHTTPClient.Overflow,
        timeout: Double
    ) async throws(OutboundHTTPClient.Failure) -> OutboundHTTPClient.Answer {
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
        let task = client.execute(request: request, delegate: AsyncHTTPAnswerCollector(limit: limit, overflow: overflow), deadline: deadline)
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
    func shutdown() async {
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
