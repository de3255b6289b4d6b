import Hummingbird
import NIOCore

/// The request context of the admin listener: the peer address.
package struct GateRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The direct peer.
    package let remoteAddress: SocketAddress?

    /// Every JSON answer a route returns as `ResponseEncodable` is written by this one encoder.
    package var responseEncoder: GateJSONEncoder { GateJSONEncoder() }

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
