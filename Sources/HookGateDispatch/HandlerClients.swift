import HookGateHTTPClient
import ServiceLifecycle

/// The HTTP client of the `http` handlers (an ``OutboundHTTPClient``: the SwiftNIO pool for
/// `http://` URLs, AsyncHTTPClient for `https://` ones), shared by every ``HTTPDeliverer``.
///
/// A service of the gate's group, listed before the dispatcher so that it stops after it:
/// it waits for a graceful shutdown (or cancellation), then shuts the client down.
package final class HandlerClients: Service, Sendable {
    /// The handlers' client.
    package let client: OutboundHTTPClient

    /// A client keeping up to `connectionsPerHost` connections open to each handler host;
    /// refused connections fail the attempt at once (the dispatcher's retries are the retries).
    package init(connectionsPerHost: Int) {
        client = OutboundHTTPClient(connectionsPerHost: connectionsPerHost, idleTimeout: 3, retryConnecting: false)
    }

    /// Waits for a graceful shutdown or cancellation, then closes every connection.
    package func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
