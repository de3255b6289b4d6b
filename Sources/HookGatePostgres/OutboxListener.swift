import Logging
import PostgresNIO
import Synchronization

/// Turns `NOTIFY hookgate_outbox` (from any gate's commit) into a call of the dispatcher's
/// wake-up, and this gate's own commits into one directly.
///
/// Listens on one pooled connection and skips the notifications of this gate's own commits
/// (their payload is its id: the committer woke the dispatcher already), so each outbox write
/// wakes each gate once. When the connection drops (the server restarted), it listens again
/// after a second and wakes the dispatcher then, since notifications sent meanwhile are lost.
final class OutboxListener: Sendable {
    private let callback = Mutex<(@Sendable () -> Void)?>(nil)
    private let stopping = Mutex(false)

    /// Marks the listener as stopping: the connection closing then is not a loss worth a warning.
    func stop() { stopping.withLock { $0 = true } }

    /// Clears the stop mark of an earlier run.
    func start() { stopping.withLock { $0 = false } }

    /// Replaces the callback.
    func set(_ wake: @escaping @Sendable () -> Void) { callback.withLock { $0 = wake } }

    /// Calls the callback, if any.
    func fire() { callback.withLock { $0 }?() }

    /// Listens on `channel` until cancelled, skipping notifications whose payload is `ownID`.
    func listen(_ client: PostgresClient, channel: String, ignoring ownID: String, logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        if failures > 0 {
                            logger.notice("listening for outbox notifications again")
                            fire()
                        }
                        failures = 0
                        for try await notification in notifications where notification.payload != ownID { fire() }
                    }
                }
            } catch {
                if Task.isCancelled || stopping.withLock({ $0 }) { return }
                failures += 1
                if failures == 1 {
                    logger.warning(
                        "outbox notifications lost; polling until the database is back", metadata: ["error": "\(PostgresEventStore.describe(error))"])
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
