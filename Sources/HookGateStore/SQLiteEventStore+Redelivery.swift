import Foundation
import GRDB
import HookGateCore

/// Redelivery of one delivery (the operator console's per-row action).
extension SQLiteEventStore {
    /// What ``redeliver(deliveryID:)`` did.
    public enum SingleRedelivery: Sendable, Equatable {
        /// No delivery has this id.
        case notFound
        /// The delivery is being attempted right now; it was left alone.
        case inFlight
        /// The delivery is due now (whatever its state was, delivered and dead included).
        case queued
    }

    /// Makes delivery `deliveryID` due now unless it is in flight.
    public func redeliver(deliveryID: Int64) async throws -> SingleRedelivery {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try await pool.write { db in
            try db.execute(
                sql: "UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status != ?",
                arguments: [DeliveryStatus.retrying, now, now, deliveryID, DeliveryStatus.inFlight])
            if db.changesCount > 0 { return .queued }
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = ?)", arguments: [deliveryID]) ?? false
            return exists ? .inFlight : .notFound
        }
    }
}
