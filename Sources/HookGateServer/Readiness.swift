import Synchronization

/// What `/readyz` reports besides the store: listeners up, not shutting down.
package final class Readiness: Sendable {
    struct State {
        var publicUp = false
        var adminUp = false
        var shuttingDown = false
    }

    private let state = Mutex(State())

    package init() {}

    func markPublicUp() { state.withLock { $0.publicUp = true } }
    func markAdminUp() { state.withLock { $0.adminUp = true } }
    func markShuttingDown() { state.withLock { $0.shuttingDown = true } }

    /// Whether graceful shutdown has begun.
    package var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// The reasons the gate is not ready, empty when it is (store writability is checked separately).
    package func problems() -> [String] {
        state.withLock { state in
            var problems: [String] = []
            if state.shuttingDown { problems.append("shutting down") }
            if !state.publicUp { problems.append("public listener not up") }
            if !state.adminUp { problems.append("admin listener not up") }
            return problems
        }
    }
}
