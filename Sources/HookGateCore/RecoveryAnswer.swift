/// The `200` answer of `POST /rejected/{id}/recover`: the intake's own,
/// `{"status":"accepted"|"duplicate","event_id":"..."}`. Read and written with ``SnakeCaseJSON``.
public struct RecoveryAnswer: Codable, Sendable, Equatable {
    /// `accepted` (stored now and fanned out) or `duplicate` (already stored).
    public var status: String
    public var eventID: String

    /// Named for ``SnakeCaseJSON``: written `event_id`, read back through its key conversion.
    enum CodingKeys: String, CodingKey {
        case status
        case eventID = "eventId"
    }

    public init(status: String, eventID: String) {
        self.status = status
        self.eventID = eventID
    }
}
