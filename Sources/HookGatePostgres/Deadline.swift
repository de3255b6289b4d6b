import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// Bounds how long a caller waits for the database.
///
/// A query on a connection whose server vanished can wait for TCP to give up, and a lease
/// can wait for a server that is down; the sender of a webhook must get `503` in seconds
/// instead. Past the deadline the caller is answered with ``Exceeded`` and the work is
/// cancelled and left to finish or fail on its own: an event commit that completes anyway
/// is stored, and the sender's retry is answered `duplicate` (never lost, never twice).
enum Deadline {
    /// The work did not finish within the deadline.
    struct Exceeded: Error, CustomStringConvertible {
        let what: String
        let seconds: Double
        var description: String { "\(what) did not finish within \(seconds) s" }
    }

    /// Runs `work`, answering within `seconds` with its result, its error, or ``Exceeded``.
    ///
    /// The timer is an event-loop timer, cancelled (and freed) as soon as the work answers:
    /// a sleeping task per call would stay queued for the whole deadline on Linux, even
    /// cancelled, thousands of them at the rate events are committed.
    static func run<T: Sendable>(_ seconds: Double, _ what: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let first = FirstAnswer<T>()
        return try await withCheckedThrowingContinuation { continuation in
            first.wait(continuation)
            let running = NIOLockedValueBox<Task<Void, Never>?>(nil)
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                if first.answer(.failure(Exceeded(what: what, seconds: seconds))) { running.withLockedValue { $0 }?.cancel() }
            }
            let task = Task {
                do { first.answer(.success(try await work())) } catch { first.answer(.failure(error)) }
                timer.cancel()
            }
            running.withLockedValue { $0 = task }
        }
    }

    /// A continuation resumed once, by whichever of the work and the timer answers first.
    final class FirstAnswer<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func wait(_ waiting: CheckedContinuation<T, any Error>) {
            continuation.withLock { $0 = waiting }
        }

        /// Resumes the caller unless answered already; returns whether this was the answer.
        @discardableResult
        func answer(_ result: Result<T, any Error>) -> Bool {
            guard
                let waiting = continuation.withLock({ value -> CheckedContinuation<T, any Error>? in
                    defer { value = nil }
                    return value
                })
            else { return false }
            waiting.resume(with: result)
            return true
        }
    }
}
