import Hummingbird
import NIOCore

/// The request context of the admin listener: the peer address.
public struct GateRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The direct peer.
    public let remoteAddress: SocketAddress?

    /// Every JSON answer a route returns as `ResponseEncodable` is written by this one encoder.
    public var responseEncoder: GateJSONEncoder { GateJSONEncoder() }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
