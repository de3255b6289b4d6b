import HookGateCore

/// An event as the store holds it.
public struct StoredEvent: Sendable {
    /// The store's row id (stable; used by the CLI and admin endpoints).
    public var id: Int64
    public var provider: Provider
    public var eventID: String
    public var eventType: String
    public var body: [UInt8]
    public var bodySHA256: String
    public var headers: [(String, String)]
    public var clientIP: String?
    public var requestID: String
    /// Unix milliseconds.
    public var receivedAt: Int64
    public var claims: String?
}
