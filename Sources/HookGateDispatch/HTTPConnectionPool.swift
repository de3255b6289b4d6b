import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 client over plain TCP with keep-alive connections pooled per
/// host and port, for delivering to local handlers.
///
/// `https://` handlers and key fetches use AsyncHTTPClient (``BoundedHTTPClient``); plain
/// HTTP stays on this pool because it writes each request with one flush (AsyncHTTPClient
/// 1.37 flushes head, body and end separately) and drained a backlog about 1.6 times as
/// fast (`Benchmarks/delivery.sh`; docs/architecture.md, "Design decisions, and why"). Redirects are never followed.
package final class HTTPConnectionPool: Sendable {
    /// A response, with the body cut to an excerpt.
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(String, String)]
        package var bodyExcerpt: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The most idle connections kept per host and port.
    static let maxIdlePerHost = 64
    static let excerptBytes = HTTPDeliverer.excerptBytes

    private let group: any EventLoopGroup
    private let idle = Mutex<[String: [Channel]]>([:])

    package init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// Sends one request and returns the response, or throws on connection failure or timeout.
    package func execute(
        host: String, port: Int, method: HTTPMethod, path: String, headers: [(String, String)], body: [UInt8], timeout: TimeAmount
    ) async throws -> Response {
        let key = "\(host):\(port)"
        let channel = try await acquire(key: key, host: host, port: port, timeout: timeout)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        let promise = channel.eventLoop.makePromise(of: CollectedResponse.self)
        let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no response within \(timeout.nanoseconds / 1_000_000) ms"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(RequestEnvelope(head: head, body: ByteBuffer(bytes: body), promise: promise), promise: nil)
        let collected: CollectedResponse
        do {
            collected = try await promise.futureResult.get()
            timeoutTask.cancel()
        } catch {
            timeoutTask.cancel()
            channel.close(promise: nil)
            throw error
        }
        if collected.keepAlive && channel.isActive {
            release(channel, key: key)
        } else {
            channel.close(promise: nil)
        }
        return Response(status: collected.status, headers: collected.headers, bodyExcerpt: collected.excerpt)
    }

    private func acquire(key: String, host: String, port: Int, timeout: TimeAmount) async throws -> Channel {
        while let channel = idle.withLock({ pools -> Channel? in pools[key]?.popLast() }) {
            if channel.isActive { return channel }
        }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
        do {
            return try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
    }

    private func release(_ channel: Channel, key: String) {
        let kept = idle.withLock { pools -> Bool in
            var list = pools[key] ?? []
            guard list.count < HTTPConnectionPool.maxIdlePerHost else { return false }
            list.append(channel)
            pools[key] = list
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    /// Closes every idle connection.
    package func shutdown() {
        let all = idle.withLock { pools -> [Channel] in
            defer { pools = [:] }
            return pools.values.flatMap { $0 }
        }
        for channel in all { channel.close(promise: nil) }
    }
}

struct CollectedResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var excerpt: [UInt8]
    var keepAlive: Bool
}

struct RequestEnvelope: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var promise: EventLoopPromise<CollectedResponse>
}

/// Writes one request at a time and collects its response.
final class ResponseCollector: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = RequestEnvelope
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<CollectedResponse>?
    private var head: HTTPResponseHead?
    private var excerpt: [UInt8] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let envelope = unwrapOutboundIn(data)
        guard self.promise == nil else {
            envelope.promise.fail(HTTPConnectionPool.Failure(description: "connection busy"))
            return
        }
        self.promise = envelope.promise
        head = nil
        excerpt = []
        context.write(wrapOutboundOut(.head(envelope.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(envelope.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: writePromise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var buffer):
            let room = HTTPConnectionPool.excerptBytes - excerpt.count
            if room > 0, let bytes = buffer.readBytes(length: min(room, buffer.readableBytes)) { excerpt += bytes }
        case .end:
            guard let promise, let head else { return }
            self.promise = nil
            let headers = head.headers.map { ($0.name, $0.value) }
            promise.succeed(CollectedResponse(status: Int(head.status.code), headers: headers, excerpt: excerpt, keepAlive: head.isKeepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(HTTPConnectionPool.Failure(description: "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPConnectionPool.Failure(description: "connection closed before the response ended"))
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        guard let promise else { return }
        self.promise = nil
        promise.fail(error)
    }
}
