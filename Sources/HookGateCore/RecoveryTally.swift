/// What a bulk recovery (`POST /rejected/recover`) did.
public struct RecoveryTally: Codable, Sendable, Equatable {
    /// Rejected requests verified again.
    public var examined = 0
    /// Stored now and fanned out.
    public var accepted = 0
    /// Already stored (the sender's retry got through, or an earlier recovery).
    public var duplicate = 0
    /// Still refused, by code; they stay in the quarantine.
    public var refused: [String: Int] = [:]

    public init() {}
}
