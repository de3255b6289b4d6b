import ServiceLifecycle

extension SQLiteEventStore: Service {
    /// Runs the WAL checkpointer (when the store has one) until a graceful shutdown or
    /// cancellation, then stops it.
    ///
    /// Reads and writes need no run: they go to the file through GRDB's pool, which closes
    /// the file's connections when the store is released.
    package func run() async throws {
        guard let checkpointer else {
            try? await gracefulShutdown()
            return
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await checkpointer.run() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Returns at once: reads and writes need no run.
    package func waitUntilRunning() async {}
}
