import Dispatch
import Synchronization

/// Holds work back until ``open()``: a commit, a handler's answer, a test server's reply.
/// Tests use it to keep something under way for as long as they need, instead of a
/// delay they hope is long enough. Once open, it stays open.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let gate = DispatchSemaphore(value: 0)

    /// Suspends until ``open()`` (at once when already open).
    func wait() async {
        await withCheckedContinuation { waiter in
            let open = state.withLock { state -> Bool in
                if !state.open { state.waiters.append(waiter) }
                return state.open
            }
            if open { waiter.resume() }
        }
    }

    /// For a thread that may block (a synchronous commit, a server's connection thread):
    /// blocks it until ``open()``.
    func waitBlocking() {
        gate.wait()
        gate.signal()  // and lets the next one through
    }

    /// Lets everything waiting, and everything that waits later, through. Idempotent.
    func open() {
        let (first, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard !state.open else { return (false, []) }
            state.open = true
            defer { state.waiters = [] }
            return (true, state.waiters)
        }
        guard first else { return }
        gate.signal()
        for waiter in waiters { waiter.resume() }
    }
}
