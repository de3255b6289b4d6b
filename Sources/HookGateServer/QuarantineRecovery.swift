import Foundation
import HookGateCore

/// Recovers refused webhooks from the quarantine: each is verified again with today's keys
/// and configuration (its provider's intake route) and, if it verifies, stored and fanned
/// out exactly as if it had been accepted, with its original receipt time; dedup applies.
struct QuarantineRecovery: Sendable {
    let store: any GateStore
    let intakes: [Provider: WebhookIntake]

    /// The routes recoveries are recorded as coming from.
    static let routes = ["admin_api", "cli", "console"]

    /// What recovering one request did.
    enum Outcome: Sendable {
        /// Stored now (`accepted`) or already stored (`duplicate`), with its event id.
        case stored(StoreOutcome, eventID: String)
        /// Still refused with this code (or `provider_not_configured`).
        case refused(HookGateError.Code)
    }

    /// Recovers rejected request `request` (read whole from the store).
    /// - Throws: the store's error when storing or marking fails (`store_unavailable`, `overloaded`).
    func recover(_ request: RejectedRequest, ignoreAge: Bool, via: String) async throws -> Outcome {
        guard let intake = intakes[request.provider] else { return .refused(.providerNotConfigured) }
        let event: IncomingEvent
        do throws(HookGateError) {
            event = try await intake.recover(request, ignoreAge: ignoreAge)
        } catch {
            return .refused(error.code)
        }
        let outcome = try await store.store(event)
        // A request recovered before keeps the record of the recovery that stored it.
        if request.recovery?.outcome != .accepted {
            var recovered = request
            recovered.recovery = .init(at: Int64(Date().timeIntervalSince1970 * 1000), outcome: outcome, eventID: event.eventID, via: via)
            try await store.markRecovered(recovered)
        }
        return .stored(outcome, eventID: event.eventID)
    }

    /// Recovers every matching request not yet recovered (at most `filter.limit`), oldest first.
    func recover(_ filter: RejectedFilter, ignoreAge: Bool, via: String) async throws -> RecoveryTally {
        var tally = RecoveryTally()
        var unrecovered = filter
        unrecovered.unrecoveredOnly = true
        for summary in try await store.rejected(unrecovered).reversed() {
            guard let request = try await store.quarantineRequest(id: summary.id) else { continue }
            tally.examined += 1
            switch try await recover(request, ignoreAge: ignoreAge, via: via) {
            case .stored(.accepted, _): tally.accepted += 1
            case .stored(.duplicate, _): tally.duplicate += 1
            case .refused(let code): tally.refused[code.rawValue, default: 0] += 1
            }
        }
        return tally
    }
}
