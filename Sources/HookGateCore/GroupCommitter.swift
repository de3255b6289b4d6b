import Synchronization

/// Group commit: many callers submit one item each; one drainer at a time hands the
/// queued items to `commit` in batches, and every caller is resumed with its own outcome.
///
/// While a batch commits, new submissions queue up and go together into the next
/// batch, so the cost of a commit (an fsync, a transaction) is shared by everyone who
/// arrived in the meantime.
///
/// - **Bound**: at most ``maxQueued`` items wait for a batch (the batch being committed
///   does not count). A submission past it is not queued: ``submit(_:)`` throws
///   ``Failure/full(maxQueued:)`` at once, so the caller can shed load (answer 503).
/// - **Failure**: when `commit` throws, every item of that batch fails with
///   ``Failure/commitFailed(_:)`` carrying that error; later batches are tried as usual.
///   `commit` must return one outcome per item, in order; any other count fails the batch.
/// - **Order**: items are committed in the order they were queued; batches are
///   committed one after another, never concurrently, each at most ``maxBatch`` items.
/// - **Cancellation**: a cancelled caller still waits for its item's commit; a queued
///   item is never withdrawn.
public final class GroupCommitter<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Why a submitted item has no outcome.
    public enum Failure: Error {
        /// ``GroupCommitter/maxQueued`` items already wait; the item was not queued.
        case full(maxQueued: Int)
        /// The batch holding the item could not be committed; the error `commit` threw.
        case commitFailed(any Error)
    }

    /// The count `commit` returned does not match its batch.
    struct OutcomeCountMismatch: Error, CustomStringConvertible {
        let items: Int
        let outcomes: Int
        var description: String { "commit returned \(outcomes) outcomes for \(items) items" }
    }

    // Unsafe continuations: every waiter is resumed exactly once (by enqueue when full, else by drain); checked ones cost an allocation per event.
    private enum Waiter {
        case task(UnsafeContinuation<Result<Outcome, Failure>, Never>)
        case callback(@Sendable (Result<Outcome, Failure>) -> Void)

        func resume(returning result: Result<Outcome, Failure>) {
            switch self {
            case .task(let continuation): continuation.resume(returning: result)
            case .callback(let callback): callback(result)
            }
        }
    }

    private struct State {
        var pending: [(item: Item, waiter: Waiter)] = []
        var draining = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// How batches are committed.
    private enum Run: Sendable {
        /// Awaiting an asynchronous commit, on a detached task that drains the queue.
        case task(@Sendable ([Item]) async throws -> [Outcome])
        /// One batch per step, committed synchronously wherever the step is scheduled.
        case steps(@Sendable (GroupCommitter) -> Void)
    }

    /// The most items handed to `commit` at once.
    public let maxBatch: Int
    /// The most items waiting for a batch; past it ``submit(_:)`` fails with ``Failure/full(maxQueued:)``.
    public let maxQueued: Int
    private let run: Run
    private let state = Mutex(State())

    /// Creates a committer whose batches are committed on a detached task.
    /// - Parameters:
    ///   - maxBatch: the most items per call of `commit` (at least 1).
    ///   - maxQueued: the most items waiting for a batch (unbounded by default).
    ///   - commit: commits a batch and returns one outcome per item, in order; runs on
    ///     a detached task, one call at a time.
    public init(maxBatch: Int = 512, maxQueued: Int = .max, commit: @escaping @Sendable ([Item]) async throws -> [Outcome]) {
        self.maxBatch = max(1, maxBatch)
        self.maxQueued = maxQueued
        run = .task(commit)
    }

    /// Creates a committer whose batches are committed synchronously, one per step, on
    /// the serial executor `schedule` hands each step to (such as a database's writer
    /// queue): no task, and no hop back from the executor, per batch. After each batch
    /// the next step is scheduled at once, behind whatever else the executor has queued
    /// meanwhile, so other work on it is not starved by a busy committer.
    /// - Parameters:
    ///   - maxBatch: the most items per call of `commit` (at least 1).
    ///   - maxQueued: the most items waiting for a batch (unbounded by default).
    ///   - schedule: runs the step it is given later, with the executor's context (for a
    ///     database writer, its connection); steps must run one at a time, in order.
    ///   - commit: commits a batch with the step's context and returns one outcome per
    ///     item, in order. It blocks its executor, and so does every `completion` of the
    ///     batch (``submit(_:completion:)``), which runs there after it.
    public init<Context>(
        maxBatch: Int = 512, maxQueued: Int = .max, schedule: @escaping @Sendable (@escaping @Sendable (Context) -> Void) -> Void,
        commit: @escaping @Sendable (Context, [Item]) throws -> [Outcome]
    ) {
        self.maxBatch = max(1, maxBatch)
        self.maxQueued = maxQueued
        run = .steps { committer in
            schedule { context in committer.step { batch in try commit(context, batch) } }
        }
    }

    /// Items waiting for a batch (not counting the batch being committed).
    public var queuedCount: Int { state.withLock { $0.pending.count } }

    /// Queues `item` and returns its outcome once its batch is committed.
    /// - Throws: ``Failure/full(maxQueued:)`` at once when the queue is full;
    ///   ``Failure/commitFailed(_:)`` when its batch failed.
    public func submit(_ item: Item) async throws(Failure) -> Outcome {
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Outcome, Failure>, Never>) in
            enqueue(item, .task(continuation))
        }
        return try result.get()
    }

    /// Queues `item` and calls `completion` exactly once: with its outcome once its batch
    /// is committed (or ``Failure/commitFailed(_:)``), where the batch was committed (the committing task, or the step's executor); or, when the
    /// queue is full, with ``Failure/full(maxQueued:)`` at once, on the caller's thread
    /// before this returns (so do not call it holding a lock `completion` takes).
    /// `completion` must not block: the rest of the batch waits for it.
    public func submit(_ item: Item, completion: @escaping @Sendable (Result<Outcome, Failure>) -> Void) {
        enqueue(item, .callback(completion))
    }

    private func enqueue(_ item: Item, _ waiter: Waiter) {
        let lead = state.withLock { state -> Bool? in
            guard state.pending.count < maxQueued else { return nil }
            state.pending.append((item, waiter))
            if state.draining { return false }
            state.draining = true
            return true
        }
        switch lead {
        case nil: waiter.resume(returning: .failure(.full(maxQueued: maxQueued)))
        case true?:
            switch run {
            case .task(let commit): Task.detached { await self.drain(commit) }
            case .steps(let schedule): schedule(self)
            }
        case false?: break
        }
    }

    /// Returns once the queue is empty and no batch is being committed; immediately
    /// when idle. Items submitted meanwhile are waited for too.
    public func flush() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if !state.draining { return true }
                state.idleWaiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
    }

    private func drain(_ commit: @Sendable ([Item]) async throws -> [Outcome]) async {
        while let batch = nextBatch() {
            let results: [Result<Outcome, Failure>]
            do {
                results = try Self.results(of: batch, try await commit(batch.map { $0.item }))
            } catch {
                results = Array(repeating: .failure(.commitFailed(error)), count: batch.count)
            }
            for (entry, result) in zip(batch, results) { entry.waiter.resume(returning: result) }
        }
    }

    /// Commits one batch, resumes its waiters and schedules the next step; when nothing
    /// is queued, ends the drain instead.
    private func step(_ commit: ([Item]) throws -> [Outcome]) {
        guard let batch = nextBatch() else { return }
        let results: [Result<Outcome, Failure>]
        do {
            results = try Self.results(of: batch, try commit(batch.map { $0.item }))
        } catch {
            results = Array(repeating: .failure(.commitFailed(error)), count: batch.count)
        }
        for (entry, result) in zip(batch, results) { entry.waiter.resume(returning: result) }
        if case .steps(let schedule) = run { schedule(self) }
    }

    /// The next batch to commit; `nil` when nothing is queued, which ends the drain and
    /// resumes the callers of ``flush()``.
    private func nextBatch() -> [(item: Item, waiter: Waiter)]? {
        let (batch, idle) = state.withLock { state -> ([(item: Item, waiter: Waiter)], [CheckedContinuation<Void, Never>]) in
            let batch = Array(state.pending.prefix(maxBatch))
            state.pending.removeFirst(batch.count)
            guard batch.isEmpty else { return (batch, []) }
            state.draining = false
            defer { state.idleWaiters = [] }
            return ([], state.idleWaiters)
        }
        guard batch.isEmpty else { return batch }
        for waiter in idle { waiter.resume() }
        return nil
    }

    /// One result per item of `batch`, from the outcomes its commit returned.
    /// - Throws: ``OutcomeCountMismatch`` when the counts differ.
    private static func results(of batch: [(item: Item, waiter: Waiter)], _ outcomes: [Outcome]) throws -> [Result<Outcome, Failure>] {
        guard outcomes.count == batch.count else { throw OutcomeCountMismatch(items: batch.count, outcomes: outcomes.count) }
        return outcomes.map { .success($0) }
    }
}

extension GroupCommitter.Failure {
    /// What a store answers for an event its committer could not commit: `overloaded`
    /// (`Retry-After: 1`) when the queue is full, `store_unavailable` (`Retry-After: 5`)
    /// when the transaction failed. Every backend answers the same.
    public var storeError: HookGateError {
        switch self {
        case .full(let limit):
            HookGateError(.overloaded, "\(limit) events already wait for a commit", retryAfter: 1)
        case .commitFailed(let cause):
            HookGateError(.storeUnavailable, "the store could not commit: \(cause)", retryAfter: 5)
        }
    }
}
