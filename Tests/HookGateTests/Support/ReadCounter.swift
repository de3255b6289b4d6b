import NIOCore

/// Counts the reads that get past the handlers after it, toward the socket: placed
/// nearest the socket on an `EmbeddedChannel`, it shows whether a handler held a read.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}
