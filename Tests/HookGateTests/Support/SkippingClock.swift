import Foundation
import HookGateCore
import Synchronization

/// A gate clock that follows the wall clock and that a test moves ahead by hand: what the
/// dispatcher's leases, retries and waits see, so a test skips a wait instead of waiting it
/// out. Events the intake stamps with the wall clock are therefore never in its future.
///
/// ``advance(by:)`` wakes every wait under way to look at the time again. The clock also
/// counts the waits begun, by duration: a loop that pauses after each pass (the lease
/// keeper) shows through it that it has finished a pass.
final class SkippingClock: GateClock {
    private struct State {
        var offset: Int64 = 0
        var advances = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var begun: [Duration: Int] = [:]
    }

    private let state = Mutex(State())

    func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000) + state.withLock { $0.offset }
    }

    func sleep(for duration: Duration) async throws {
        state.withLock { $0.begun[duration, default: 0] += 1 }
        let deadline = nowMilliseconds() + duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        while true {
            try Task.checkCancellation()
            let remaining = deadline - nowMilliseconds()
            if remaining <= 0 { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: .milliseconds(remaining)) }
                group.addTask { await self.nextAdvance() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Moves the clock `duration` ahead and wakes every wait under way.
    func advance(by duration: Duration) {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.offset += milliseconds
            state.advances += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// How many waits of exactly `duration` have begun.
    func waitsBegun(lasting duration: Duration) -> Int {
        state.withLock { $0.begun[duration, default: 0] }
    }

    /// Returns at the next ``advance(by:)``, or when the task is cancelled.
    private func nextAdvance() async {
        let (id, generation) = state.withLock { state -> (Int, Int) in
            state.nextID += 1
            return (state.nextID, state.advances)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.cancelled.remove(id) != nil || state.advances != generation { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}
