import Foundation

/// The time the gate's own timers follow, and the wall time it stores: the dispatcher's
/// claims, leases, retries and waits, and retention. Injected, so that tests move it
/// instead of sleeping.
public protocol GateClock: Sendable {
    /// Unix time in milliseconds: due times, leases and attempt times in the store.
    func nowMilliseconds() -> Int64

    /// Suspends for `duration` of this clock's time.
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(for duration: Duration) async throws
}

/// The system's wall clock (`Date`), and `Task.sleep` for waits: what a gate runs on.
public struct WallClock: GateClock {
    /// The wall clock.
    public init() {}

    public func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
