import ServiceLifecycle

/// Flips readiness when graceful shutdown begins; listed last so it is told first.
struct ShutdownWatcher: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markShuttingDown()
    }
}
