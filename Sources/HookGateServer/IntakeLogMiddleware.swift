import HookGateCore
import Hummingbird
import Logging

/// Writes each intake request's log line and counts it in the metrics, once its answer
/// is known: the outcome (`accepted`, `duplicate` or the error code), the status, the
/// duration, and what the route noted (provider, client address, event id). A failure's
/// reason goes to the log line only, never to the answer. Requests the intake route did
/// not take (405s) are neither logged nor counted.
struct IntakeLogMiddleware: RouterMiddleware {
    typealias Context = GateRequestContext

    let metrics: GateMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        let note = IntakeNote()
        context.intakeNote = note
        let status: Int
        let outcome: String
        var reason: String?
        let response: Response
        do {
            response = try await next(request, context)
            status = Int(response.status.code)
            outcome = note.snapshot.outcome?.rawValue ?? "unknown"
        } catch let error as HookGateError {
            status = Int(error.code.httpStatus.code)
            outcome = error.code.rawValue
            reason = error.reason
            record(note, outcome: outcome, status: status, reason: reason, started: started, requestID: context.requestID)
            throw error
        }
        record(note, outcome: outcome, status: status, reason: reason, started: started, requestID: context.requestID)
        return response
    }

    private func record(_ note: IntakeNote, outcome: String, status: Int, reason: String?, started: ContinuousClock.Instant, requestID: String) {
        let facts = note.snapshot
        guard let provider = facts.provider else { return }
        let elapsed = ContinuousClock.now - started
        metrics.recordIntake(provider: provider, outcome: outcome, duration: elapsed)
        let level: Logger.Level = status >= 500 ? .warning : .info
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "request_id": "\(requestID)", "client_ip": "\(facts.client?.description ?? "-")", "provider": "\(provider.rawValue)",
            "outcome": "\(outcome)", "status": "\(status)", "duration_ms": "\(RequestLineFormat.milliseconds(elapsed))",
        ]
        if let eventID = facts.eventID { metadata["event_id"] = "\(eventID)" }
        if let reason { metadata["reason"] = "\(reason)" }
        logger.log(level: level, "webhook", metadata: metadata)
    }
}
