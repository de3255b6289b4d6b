import JOSE

/// What a verified token established: who signed (`kid`), when (`iat`), and its
/// decoded header and claims (kept with the event).
public struct VerifiedToken: Sendable {
    public let header: JSONValue
    public let claims: JSONValue
    public let keyID: String
    public let issuedAt: Int64
    /// The lowercase hex SHA-256 of the body it was checked against (equal to its
    /// `request_body_sha256`), so the body need not be hashed again.
    public let bodySHA256: String
}
