import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// How the public listener sets up each accepted connection, as a HummingbirdCore
/// `ServerChildChannel`: Hummingbird's `Server` still binds, limits connections
/// (`max_connections`), quiesces on graceful shutdown and runs as a service, while
/// requests are answered by ``IntakeHandler`` on the event loop instead of Hummingbird's
/// async request loop.
///
/// The pipeline: ``ReadHoldHandler`` (no reading while answers are not read), NIO's
/// HTTP/1.1 decoder (header limits below; ``IntakeHandler`` answers a request it cannot
/// parse `400` and closes the connection) and encoder, then ``IntakeHandler``, which
/// handles one request at a time itself (pipelined ones wait, in order) and, on graceful
/// shutdown, closes idle connections at once and busy ones after their answer.
struct IntakeChannel: ServerChildChannel {
    /// An accepted connection.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    /// Header limits: 16 KiB per field, 32 KiB in all, 100 fields.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 16 * 1024
        limits.maxHeaderListSize = 32 * 1024
        limits.maxHeaderFieldCount = 100
        return limits
    }()

    let routes: IntakeRoutes
    let log: IntakeLog
    let readTimeout: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ReadHoldHandler())
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: Self.decoderLimits)
            try channel.pipeline.syncOperations.addHandler(IntakeHandler(routes: routes, log: log, readTimeout: readTimeout))
            return Connection(channel: channel)
        }
    }

    /// Waits for the connection to close; the handlers do the work.
    func handle(value connection: Connection, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await connection.channel.closeFuture.get()
        } onCancel: {
            connection.channel.close(promise: nil)
        }
    }
}
