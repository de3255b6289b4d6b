import Dispatch
import HookGateCore
import Synchronization
import Testing

/// The generic group committer behind the store's event commits and the dispatcher's
/// attempt records: batching, outcomes per caller, failures per batch, the queue bound;
/// each test both ways a committer runs its batches (on a task, or in steps on a serial
/// executor, as the SQLite store's writer queue runs them).
@Suite struct GroupCommitterTests {
    /// How long a poll waits for the committer's tasks to get there. Each poll asks for a state the
    /// latch holds still (a batch started, items queued behind it), so waiting longer changes no
    /// outcome; it only leaves room for a full parallel test run that starves the task pool for
    /// seconds on a 2-core machine (5 s was not enough there).
    static let patience = 30.0

    enum Mode: CaseIterable, Sendable {
        /// ``GroupCommitter/init(maxBatch:maxQueued:commit:)``: awaiting each commit on a task.
        case task
        /// ``GroupCommitter/init(maxBatch:maxQueued:schedule:commit:)``: one synchronous batch per step on a serial queue.
        case steps
    }

    /// What the commit closure saw: how many calls started, and the batches committed.
    final class Log: Sendable {
        private let state = Mutex<(started: Int, batches: [[Int]])>((0, []))
        /// Counts a call; true for the first.
        func start() -> Bool {
            state.withLock {
                $0.started += 1
                return $0.started == 1
            }
        }
        func record(_ batch: [Int]) { state.withLock { $0.batches.append(batch) } }
        var started: Int { state.withLock { $0.started } }
        var all: [[Int]] { state.withLock { $0.batches } }
    }

    struct Refused: Error {}

    /// A committer whose first batch waits for `latch`; outcomes are the items doubled,
    /// and a batch holding `failing` throws.
    static func committer(
        _ mode: Mode, _ log: Log, _ latch: Latch, maxBatch: Int = 512, maxQueued: Int = .max, failing: Int? = nil
    ) -> GroupCommitter<Int, Int> {
        switch mode {
        case .task:
            return GroupCommitter(maxBatch: maxBatch, maxQueued: maxQueued) { batch in
                if log.start() { await latch.wait() }
                log.record(batch)
                if let failing, batch.contains(failing) { throw Refused() }
                return batch.map { $0 * 2 }
            }
        case .steps:
            let queue = DispatchQueue(label: "committer-test")
            return GroupCommitter(maxBatch: maxBatch, maxQueued: maxQueued, schedule: { step in queue.async { step(()) } }) {
                (_: Void, batch: [Int]) in
                if log.start() { latch.waitBlocking() }
                log.record(batch)
                if let failing, batch.contains(failing) { throw Refused() }
                return batch.map { $0 * 2 }
            }
        }
    }

    /// Submits item 0, waits until its batch is being committed (and held back), then
    /// submits the other `items` concurrently, waits until all of them are queued, lets
    /// the commits go and returns each item's outcome.
    static func submitBehindFirst(
        _ committer: GroupCommitter<Int, Int>, _ log: Log, _ latch: Latch, _ items: Range<Int>
    ) async -> [Int: Result<Int, GroupCommitter<Int, Int>.Failure>] {
        await withTaskGroup(of: (Int, Result<Int, GroupCommitter<Int, Int>.Failure>).self) { group in
            defer { latch.open() }  // never leave a test hanging on the latch
            group.addTask { (0, await Self.result(committer, 0)) }
            #expect(await eventually(seconds: Self.patience) { log.started == 1 })
            for item in items where item != 0 { group.addTask { (item, await Self.result(committer, item)) } }
            #expect(await eventually(seconds: Self.patience) { committer.queuedCount == items.count - 1 })
            latch.open()
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    static func result(_ committer: GroupCommitter<Int, Int>, _ item: Int) async -> Result<Int, GroupCommitter<Int, Int>.Failure> {
        do {
            return .success(try await committer.submit(item))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: Mode.allCases) func concurrentSubmissionsShareBatchesAndGetTheirOwnOutcomes(mode: Mode) async {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch)
        let results = await Self.submitBehindFirst(committer, log, latch, 0..<100)
        #expect(results.count == 100)
        for (item, result) in results { #expect((try? result.get()) == item * 2, "item \(item)") }
        #expect(log.all.count == 2, "the 99 that queued behind the first commit went in one batch")
        #expect(log.all.first == [0] && Set(log.all.last ?? []) == Set(1..<100))
    }

    /// Each completion's calls and results, by item.
    final class Completions: Sendable {
        private let state = Mutex<[Int: [Result<Int, GroupCommitter<Int, Int>.Failure>]]>([:])
        func record(_ item: Int, _ result: Result<Int, GroupCommitter<Int, Int>.Failure>) { state.withLock { $0[item, default: []].append(result) } }
        var all: [Int: [Result<Int, GroupCommitter<Int, Int>.Failure>]] { state.withLock { $0 } }
    }

    @Test(arguments: Mode.allCases) func completionSubmissionsShareBatchesWithAwaitingOnesAndAreCalledOnce(mode: Mode) async {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch, failing: 7)
        let completions = Completions()
        let awaited = await withTaskGroup(of: (Int, Result<Int, GroupCommitter<Int, Int>.Failure>).self) { group in
            defer { latch.open() }
            group.addTask { (0, await Self.result(committer, 0)) }
            #expect(await eventually(seconds: Self.patience) { log.started == 1 })
            // Odd items by completion, even ones awaited, all queued behind the held first batch.
            for item in 1..<10 {
                if item % 2 == 1 {
                    committer.submit(item) { completions.record(item, $0) }
                } else {
                    group.addTask { (item, await Self.result(committer, item)) }
                }
            }
            #expect(await eventually(seconds: Self.patience) { committer.queuedCount == 9 })
            #expect(completions.all.isEmpty, "no completion before its commit")
            latch.open()
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(await eventually(seconds: Self.patience) { completions.all.count == 5 })
        #expect(log.all.count == 2 && Set(log.all.last ?? []) == Set(1..<10), "one batch for both kinds")
        // Item 7 failed its batch (1...9): every item in it fails, however it was submitted, and each completion ran once.
        for item in [1, 3, 5, 7, 9] {
            let calls = completions.all[item] ?? []
            #expect(calls.count == 1, "item \(item)")
            guard case .failure(.commitFailed) = calls.first else {
                Issue.record("item \(item): \(calls)")
                continue
            }
        }
        for item in [2, 4, 6, 8] {
            guard case .failure(.commitFailed) = awaited[item] else {
                Issue.record("item \(item): \(String(describing: awaited[item]))")
                continue
            }
        }
        #expect((try? awaited[0]?.get()) == 0)
        // A completion for an item of a good batch gets its outcome.
        let done = Completions()
        committer.submit(21) { done.record(21, $0) }
        #expect(await eventually(seconds: Self.patience) { done.all[21]?.count == 1 })
        #expect((try? done.all[21]?.first?.get()) == 42)
    }

    @Test(arguments: Mode.allCases) func batchesAreBoundedByMaxBatchAndKeepQueueOrder(mode: Mode) async {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch, maxBatch: 10)
        let results = await Self.submitBehindFirst(committer, log, latch, 0..<36)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil })
        #expect(log.all.map(\.count) == [1, 10, 10, 10, 5])
        let queued = log.all.dropFirst().flatMap { $0 }
        #expect(queued.count == 35 && Set(queued) == Set(1..<36))
    }

    @Test(arguments: Mode.allCases) func aFailedBatchFailsEveryItemInItAndOnlyThem(mode: Mode) async throws {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch, maxBatch: 10, failing: 7)
        let results = await Self.submitBehindFirst(committer, log, latch, 0..<21)
        let failingBatch = try #require(log.all.first { $0.contains(7) })
        for (item, result) in results {
            switch result {
            case .success(let outcome):
                #expect(!failingBatch.contains(item) && outcome == item * 2, "item \(item)")
            case .failure(.commitFailed(let error)):
                #expect(failingBatch.contains(item) && error is Refused, "item \(item)")
            case .failure(let other):
                Issue.record("item \(item): \(other)")
            }
        }
        #expect(results.values.filter { (try? $0.get()) == nil }.count == failingBatch.count)
        // The committer carries on after a failed batch.
        #expect(try await committer.submit(50) == 100)
    }

    @Test(arguments: Mode.allCases) func aFullQueueRefusesAtOnceWithoutQueueing(mode: Mode) async throws {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch, maxQueued: 3)
        try await withThrowingTaskGroup(of: Int.self) { group in
            defer { latch.open() }
            group.addTask { try await committer.submit(0) }  // taken by the drainer, held by the latch
            #expect(await eventually(seconds: Self.patience) { log.started == 1 })
            for item in 1...3 { group.addTask { try await committer.submit(item) } }
            #expect(await eventually(seconds: Self.patience) { committer.queuedCount == 3 })
            let refused = await Self.result(committer, 4)
            guard case .failure(.full(let limit)) = refused else {
                Issue.record("expected .full, got \(refused)")
                return
            }
            #expect(limit == 3)
            // A completion submission past the bound is refused the same way, at once, on the caller's thread.
            let refusedByCompletion = Completions()
            committer.submit(5) { refusedByCompletion.record(5, $0) }
            guard case .failure(.full(3))? = refusedByCompletion.all[5]?.first else {
                Issue.record("expected .full at once, got \(String(describing: refusedByCompletion.all[5]))")
                return
            }
            latch.open()
            let outcomes = try await group.reduce(into: []) { $0.append($1) }
            #expect(Set(outcomes) == [0, 2, 4, 6])
        }
        #expect(!log.all.joined().contains(4) && !log.all.joined().contains(5), "a refused item is never committed")
    }

    @Test(arguments: Mode.allCases) func flushWaitsUntilEverythingQueuedIsCommitted(mode: Mode) async throws {
        let log = Log()
        let latch = Latch()
        let committer = Self.committer(mode, log, latch)
        await committer.flush()  // idle: returns at once
        let calling = Flag()
        var flushing: Task<(committed: Int, queued: Int), Never>?
        try await withThrowingTaskGroup(of: Void.self) { group in
            defer { latch.open() }
            group.addTask { _ = try await committer.submit(0) }
            #expect(await eventually(seconds: Self.patience) { log.started == 1 })
            for item in 1..<5 { group.addTask { _ = try await committer.submit(item) } }
            #expect(await eventually(seconds: Self.patience) { committer.queuedCount == 4 })
            // Flush is called while the first batch is held; what its caller sees when it
            // returns must be every item committed and nothing queued.
            flushing = Task {
                calling.set()
                await committer.flush()
                return (log.all.joined().count, committer.queuedCount)
            }
            #expect(await eventually(seconds: Self.patience) { calling.isSet })
            latch.open()
            try await group.waitForAll()
        }
        let seen = await flushing?.value
        #expect(seen?.committed == 5 && seen?.queued == 0, "flush returned having seen \(String(describing: seen))")
        #expect(log.all.joined().count == 5)
    }
}
