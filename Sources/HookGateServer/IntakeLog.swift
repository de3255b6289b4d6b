import HookGateCore
import JOSE
import Logging

/// Writes each intake request's log line and counts it in the metrics once its answer is
/// known: the outcome (`accepted`, `duplicate` or the error code), the status, the
/// duration, the provider, the client address and the event id. A failure's reason goes
/// to the log line only, never to the answer. Requests no intake route took (404, 405)
/// are neither logged nor counted.
struct IntakeLog: Sendable {
    /// What one answered request leaves in the log line and the metrics.
    struct Entry {
        let provider: Provider
        let requestID: String
        /// The client's address as the log line and the stored event write it (formatted once).
        let client: String?
        let started: ContinuousClock.Instant
        var eventID: String?
        var outcome = "unknown"
        var status = 0
        var reason: String?

        /// Marks the request refused with `error`: its code, its status and its reason.
        mutating func refuse(_ error: HookGateError) {
            outcome = error.code.rawValue
            status = Int(error.status.code)
            reason = error.reason
        }
    }

    let metrics: GateMetrics
    let logger: Logger

    func record(_ entry: Entry) {
        let elapsed = ContinuousClock.now - entry.started
        metrics.recordIntake(provider: entry.provider, outcome: entry.outcome, duration: elapsed)
        let level: Logger.Level = entry.status >= 500 ? .warning : .info
        guard logger.logLevel <= level else { return }
        var metadata = Logger.Metadata(minimumCapacity: 8)
        metadata["request_id"] = .string(entry.requestID)
        metadata["client_ip"] = .string(entry.client ?? "-")
        metadata["provider"] = .string(entry.provider.rawValue)
        metadata["outcome"] = .string(entry.outcome)
        // Numbers as numbers (`.stringConvertible`), so the JSON log writes them unquoted.
        metadata["status"] = .stringConvertible(entry.status)
        metadata["duration_ms"] = .stringConvertible(RequestLineFormat.Milliseconds(elapsed))
        if let eventID = entry.eventID { metadata["event_id"] = .string(eventID) }
        if let reason = entry.reason { metadata["reason"] = .string(reason) }
        logger.log(level: level, "webhook", metadata: metadata)
    }
}
