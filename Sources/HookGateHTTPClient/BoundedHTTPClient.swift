import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Outbound HTTP whose answers are bounded: at most `limit` body bytes are read (a
/// longer body, announced by `Content-Length` or not, ends the exchange and closes its
/// connection), and the whole exchange, body included, must finish before its deadline.
/// Redirects are never followed.
///
/// Transport is AsyncHTTPClient on SwiftNIO; `https` goes through swift-nio-ssl, the
/// transport's own TLS stack (webhook cryptography stays on the system OpenSSL, in JOSE).
public struct BoundedHTTPClient: Sendable {
    /// The process-wide client (connection pools per host; it lives as long as the process).
    public static let shared = BoundedHTTPClient(
        client: HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))))

    let client: HTTPClient

    /// A complete answer within the bounds.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Why an exchange gave no complete answer.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// What to do with body bytes past the limit.
    public enum Overflow: Sendable {
        /// The answer is refused (a key endpoint's answer must fit).
        case fail
        /// They are read and dropped: ``Answer/body`` holds the first `limit` bytes (a
        /// handler's answer, of which only an excerpt is kept).
        case discard
    }

    /// Sends `method` to `url` and reads the answer.
    /// - Throws: ``Failure`` when the host is unreachable, the answer is longer than
    ///   `limit` bytes (with `overflow: .fail`), or the exchange, body included, does not
    ///   finish within `timeout` seconds.
    public func send(
        _ method: HTTPMethod, url: String, headers: [(String, String)], body: [UInt8], limit: Int, overflow: Overflow = .fail, timeout: Double
    ) async throws(Failure) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1_000_000_000))
        let client = self.client
        let prepared = request
        do {
            // AsyncHTTPClient's deadline stops waiting for the head; the body is bounded in
            // time by racing it against a timer (the loser is cancelled, closing the connection).
            return try await withThrowingTaskGroup(of: Answer.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, deadline: deadline)
                    let headers = response.headers.map { ($0.name, $0.value) }
                    switch overflow {
                    case .fail:
                        if let announced = response.headers.first(name: "content-length").flatMap(Int.init), announced > limit {
                            throw Failure(description: "answer announces \(announced) bytes; the limit is \(limit)")
                        }
                        let collected = try await response.body.collect(upTo: limit)
                        return Answer(status: Int(response.status.code), headers: headers, body: Array(collected.readableBytesView))
                    case .discard:
                        var kept: [UInt8] = []
                        for try await buffer in response.body where kept.count < limit {
                            kept += buffer.readableBytesView.prefix(limit - kept.count)
                        }
                        return Answer(status: Int(response.status.code), headers: headers, body: kept)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(Int64(timeout * 1_000_000_000)))
                    throw HTTPClientError.deadlineExceeded
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let failure as Failure {
            throw failure
        } catch is NIOTooManyBytesError {
            throw Failure(description: "answer is longer than \(limit) bytes")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw Failure(description: "no complete answer within \(timeout) s")
        } catch {
            throw Failure(description: "\(error)")
        }
    }
}
