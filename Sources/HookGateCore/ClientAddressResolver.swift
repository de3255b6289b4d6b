/// Decides which address a request came from when HookGate sits behind reverse proxies.
///
/// `X-Forwarded-For` is believed only when the direct peer is a trusted proxy; then
/// the client is the right-most address in the header that is not itself trusted
/// (addresses further left could have been written by the client). Anything
/// unparsable ends the walk at the last address that was believed.
public struct ClientAddressResolver: Sendable {
    /// The proxies whose `X-Forwarded-For` is believed.
    public let trustedProxies: [CIDR]

    /// Creates a resolver trusting `trustedProxies`.
    public init(trustedProxies: [CIDR]) {
        self.trustedProxies = trustedProxies
    }

    /// Whether `address` is a trusted proxy.
    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// The client address for a request from `peer` with the given `X-Forwarded-For` values
    /// (each header line may hold a comma-separated list; lines are in arrival order).
    public func clientAddress(peer: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard let peer else { return nil }
        guard isTrusted(peer), !forwardedFor.isEmpty else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpacesAndTabs() }
        var client = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { return client }
            client = address
            if !isTrusted(address) { return address }
        }
        return client
    }
}
