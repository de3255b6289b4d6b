import HookGateHTTPClient
import ServiceLifecycle

/// The HTTP clients of the `http` handlers: ``HTTPConnectionPool`` for `http://` URLs and a
/// ``BoundedHTTPClient`` for `https://` ones, shared by every ``HTTPDeliverer``.
///
/// A service of the gate's group, listed before the dispatcher so that it stops after it:
/// it waits for a graceful shutdown (or cancellation), then shuts both clients down.
public final class HandlerClients: Service, Sendable {
    /// `http://` handlers' connections.
    package let pool: HTTPConnectionPool
    /// `https://` handlers' client (made on the first delivery).
    package let client: BoundedHTTPClient

    /// Clients keeping up to `connectionsPerHost` connections to each handler host;
    /// refused connections fail the attempt at once (the dispatcher's retries are the retries).
    public init(connectionsPerHost: Int) {
        pool = HTTPConnectionPool()
        client = BoundedHTTPClient(connectionsPerHost: connectionsPerHost, idleTimeout: 3, retryConnecting: false)
    }

    /// Waits for a graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        try? await gracefulShutdown()
        pool.shutdown()
        await client.shutdown()
    }
}
