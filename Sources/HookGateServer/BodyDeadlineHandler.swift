import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Enforces `server.read_timeout` on the event loop: armed when a request's head
/// arrives, cancelled at its end. If it fires, the body stream fails with
/// ``BodyDeadlineExceeded`` and the intake answers 408 and closes the connection.
///
/// A per-request `Task.sleep` did the same job, but on Linux a cancelled sleep's
/// timer stays queued until it would have fired: under load tens of thousands piled
/// up (tens of MB, and CPU).
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// The body did not arrive within the deadline.
    struct BodyDeadlineExceeded: Error {}

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.fireErrorCaught(BodyDeadlineExceeded()) }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
