import NIOCore
import NIOEmbedded
import Testing

@testable import HookGateServer

/// ``ReadHoldHandler`` holds reads while the channel is not writable (a client that does
/// not read its answers is not read either) and reads again once it is.
@Suite struct ReadHoldHandlerTests {
    @Test func readsWaitForWritability() throws {
        let channel = EmbeddedChannel()
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(ReadHoldHandler())
        channel.read()
        #expect(counter.reads == 1)
        channel.isWritable = false
        channel.read()
        channel.read()
        #expect(counter.reads == 1)  // held
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 1)  // still not writable
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2)  // one read for the held ones
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2)  // nothing was held any more
        _ = try channel.finish()
    }
}
