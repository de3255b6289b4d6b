import HookGateCore
import Synchronization

/// What the intake route learned about one request, for the log line and the metrics
/// that ``IntakeLogMiddleware`` writes once the answer is known: the route fills it in,
/// the middleware reads it. One per request, carried by ``GateRequestContext``.
public final class IntakeNote: Sendable {
    struct State {
        var provider: Provider?
        var client: IPAddress?
        var eventID: String?
        var outcome: StoreOutcome?
    }

    private let state = Mutex(State())

    /// An empty note.
    public init() {}

    func begin(provider: Provider, client: IPAddress?) {
        state.withLock {
            $0.provider = provider
            $0.client = client
        }
    }

    func finish(eventID: String, outcome: StoreOutcome) {
        state.withLock {
            $0.eventID = eventID
            $0.outcome = outcome
        }
    }

    var snapshot: (provider: Provider?, client: IPAddress?, eventID: String?, outcome: StoreOutcome?) {
        state.withLock { ($0.provider, $0.client, $0.eventID, $0.outcome) }
    }
}
