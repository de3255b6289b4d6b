import HookGateCore

/// The public listener's routing table: one ``WebhookIntake`` per provider path, and the
/// client-address rules every route shares.
///
/// Paths match as Hummingbird's router matched them before: case-sensitive, the query
/// ignored, empty segments ignored (`/webhooks/plaid/` and `//webhooks/plaid` are
/// `/webhooks/plaid`).
struct IntakeRoutes: Sendable {
    private let routes: [String: WebhookIntake]
    /// Resolves the client behind trusted proxies.
    let resolver: ClientAddressResolver

    init(_ intakes: [(path: String, intake: WebhookIntake)], resolver: ClientAddressResolver) {
        var routes: [String: WebhookIntake] = [:]
        for (path, intake) in intakes { routes[Self.normalized(Substring(path))] = intake }
        self.routes = routes
        self.resolver = resolver
    }

    /// The route for a request target (`/path?query`, or the absolute form
    /// `http://host/path?query`), `nil` when there is none (404).
    func intake(for target: String) -> WebhookIntake? {
        var path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        if !path.hasPrefix("/"), let scheme = path.range(of: "://") {
            path = path[scheme.upperBound...].firstIndex(of: "/").map { path[$0...] } ?? "/"
        }
        if let intake = routes[String(path)] { return intake }
        return routes[Self.normalized(path)]
    }

    static func normalized(_ path: Substring) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
