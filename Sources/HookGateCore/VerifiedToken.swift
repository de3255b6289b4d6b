import JOSE

/// What a verified token established: who signed (`kid`), when (`iat`), and its
/// decoded header and claims (kept with the event).
public struct VerifiedToken: Sendable {
    public let header: JSONValue
    public let claims: JSONValue
    public let keyID: String
    public let issuedAt: Int64
}
