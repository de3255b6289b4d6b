import NIOCore
import NIOHTTP1

/// One answer as ``HTTPConnectionPool`` collected it.
struct CollectedResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var keepAlive: Bool
}

/// One request for ``ResponseCollector``, with where its answer goes.
struct RequestEnvelope: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var limit: Int
    var overflow: OutboundHTTPClient.Overflow
    var promise: EventLoopPromise<CollectedResponse>
}

/// Writes one request at a time (head, body and end in one flush) and collects its answer:
/// at most `limit` body bytes, the rest dropped or, with ``OutboundHTTPClient/Overflow/fail``,
/// the exchange failed and the connection closed. A connection that ends, or fails on the
/// socket, before any part of the answer arrived fails the request as `stale` (see
/// ``HTTPConnectionPool``).
final class ResponseCollector: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = RequestEnvelope
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<CollectedResponse>?
    private var limit = 0
    private var overflow = OutboundHTTPClient.Overflow.fail
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var answered = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let envelope = unwrapOutboundIn(data)
        guard self.promise == nil else {
            envelope.promise.fail(HTTPConnectionPool.Failure(description: "connection busy"))
            return
        }
        guard context.channel.isActive else {
            envelope.promise.fail(HTTPConnectionPool.Failure(description: "connection closed before the request was sent", stale: true))
            return
        }
        self.promise = envelope.promise
        limit = envelope.limit
        overflow = envelope.overflow
        head = nil
        body = []
        answered = false
        context.write(wrapOutboundOut(.head(envelope.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(envelope.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: writePromise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        answered = true
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
            if case .fail = overflow, let announced = responseHead.headers.first(name: "content-length").flatMap(Int.init), announced > limit {
                fail(HTTPConnectionPool.Failure(description: "answer announces \(announced) bytes; the limit is \(limit)"))
                context.close(promise: nil)
            }
        case .body(let buffer):
            guard promise != nil else { return }
            let room = limit - body.count
            if room > 0 { body += buffer.readableBytesView.prefix(room) }
            if buffer.readableBytes > room, case .fail = overflow {
                fail(HTTPConnectionPool.Failure(description: "answer is longer than \(limit) bytes"))
                context.close(promise: nil)
            }
        case .end:
            guard let promise, let head else { return }
            self.promise = nil
            let headers = head.headers.map { ($0.name, $0.value) }
            promise.succeed(CollectedResponse(status: Int(head.status.code), headers: headers, body: body, keepAlive: head.isKeepAlive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A socket error with no answer yet is the connection dropped; a parse error means bytes came.
        let stale = !answered && (error is IOError || error is ChannelError)
        fail(HTTPConnectionPool.Failure(description: "\(error)", stale: stale))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPConnectionPool.Failure(description: "connection closed before the answer ended", stale: !answered))
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        guard let promise else { return }
        self.promise = nil
        promise.fail(error)
    }
}
