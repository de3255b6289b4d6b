import Hummingbird
import NIOCore

/// The request context of both listeners: the peer address (for trusted-proxy
/// resolution and `allowed_ips`) and the channel (to close abusive connections).
public struct GateRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The direct peer.
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
