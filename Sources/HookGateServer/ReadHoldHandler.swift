import NIOCore

/// First in the public listener's pipeline: holds every `read` while the channel is not
/// writable (a client that does not read its answers), and reads again once it is.
///
/// Without it, NIO's HTTP handlers keep reading pipelined requests and the answers to
/// them pile up in memory. Reads are requested by several handlers of the pipeline, so
/// they are held here, nearest the socket.
final class ReadHoldHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var held = false

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            held = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, held {
            held = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }
}
