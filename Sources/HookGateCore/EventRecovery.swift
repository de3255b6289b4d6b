import Foundation

/// How a stored event came from the quarantine: which rejected request, why it had been
/// refused, when it was recovered and by which route. Stored with the event as compact JSON.
public struct EventRecovery: Sendable, Equatable, Codable {
    /// The rejected request's id in the quarantine.
    public var rejectedID: Int64
    /// Why it had been refused.
    public var reason: String
    /// `admin_api`, `cli` or `console`.
    public var via: String
    /// When it was recovered, Unix milliseconds.
    public var at: Int64

    // ``SnakeCaseJSON`` writes `rejectedID` as `rejected_id` but reads `rejected_id` back as
    // `rejectedId`: without this key the stored form would never decode.
    enum CodingKeys: String, CodingKey {
        case reason, via, at
        case rejectedID = "rejectedId"
    }

    public init(rejectedID: Int64, reason: String, via: String, at: Int64) {
        self.rejectedID = rejectedID
        self.reason = reason
        self.via = via
        self.at = at
    }

    /// The stored form.
    public var json: String {
        String(decoding: (try? SnakeCaseJSON.encoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads the stored form; `nil` for `nil` or unreadable text.
    public init?(json: String?) {
        guard let json, let value = try? SnakeCaseJSON.decoder().decode(EventRecovery.self, from: Data(json.utf8)) else { return nil }
        self = value
    }
}
