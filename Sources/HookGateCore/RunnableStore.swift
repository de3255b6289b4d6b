/// A store whose background work (connection pools, the outbox listener, the WAL
/// checkpointer) runs in ``run()``: every backend, in each of its roles.
public protocol RunnableStore: Sendable {
    /// Runs the store's background work until a graceful shutdown or cancellation of the
    /// calling task, then closes it; returns once it is closed. The gate runs it as the
    /// first service of its group (stopped last); commands and tests use ``withRunning(_:)``.
    ///
    /// Queries made while no run is under way wait for the next one (PostgreSQL) or go
    /// straight to the file (SQLite). A store may be run again after a run has ended, one
    /// run at a time.
    /// - Throws: only when the background work cannot start.
    func run() async throws

    /// Returns once a run's background work has started (at once for a store that needs
    /// none to be queried), so that the first queries of the services started after the
    /// store do not race its start. Waits for the next run when none is under way.
    func waitUntilRunning() async
}

extension RunnableStore {
    /// Runs the store (``run()``) while `body` runs, and closes it when `body` returns or
    /// throws: how a command or a test uses a store without a service group.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws, or the store's error when it cannot start.
    public func withRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            await waitUntilRunning()
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            group.cancelAll()
            try await group.waitForAll()
            return try result.get()
        }
    }
}
