import NIOCore
import Synchronization

/// Counts the reads that get past the handlers after it, toward the socket: placed
/// nearest the socket on a test channel, it shows whether a handler held a read.
/// Sendable (an atomic count), so a test can read it off the channel's event loop.
final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = NIOAny
    private let count = Atomic<Int>(0)

    var reads: Int { count.load(ordering: .sequentiallyConsistent) }

    func read(context: ChannelHandlerContext) {
        count.add(1, ordering: .sequentiallyConsistent)
        context.read()
    }
}
