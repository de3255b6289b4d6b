import Hummingbird
import NIOCore

/// The request context of both listeners: the peer address (for trusted-proxy
/// resolution and `allowed_ips`), the channel (to close abusive connections), the
/// request id (``RequestIDMiddleware``) and, on intake routes, the note the route fills
/// in for the log line (``IntakeLogMiddleware``).
public struct GateRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The direct peer.
    public let remoteAddress: SocketAddress?
    let channel: any Channel
    /// This request's id (set by ``RequestIDMiddleware``; empty before it ran).
    public var requestID = ""
    /// What the intake route learned, for its log line (set by ``IntakeLogMiddleware``).
    public var intakeNote: IntakeNote?

    /// Every JSON answer a route returns as `ResponseEncodable` is written by this one encoder.
    public var responseEncoder: GateJSONEncoder { GateJSONEncoder() }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
