import HookGateCore
import Synchronization

/// Runs of stores that tests open and close by hand, as a command runs a store in a
/// scope (``RunnableStore/withRunning(_:)``) but across a test's many steps.
enum StoreRuns {
    static let runs = Mutex<[ObjectIdentifier: Task<Void, any Error>]>([:])
}

extension RunnableStore {
    /// Starts a run of this store (its pools, listener, checkpointer) and returns once it
    /// runs; ``stopRunning()`` ends it.
    func startRunning() async -> Self {
        let task = Task { try await self.run() }
        StoreRuns.runs.withLock { $0[ObjectIdentifier(self as AnyObject)] = task }
        await waitUntilRunning()
        return self
    }

    /// Ends the run ``startRunning()`` started, once the store has closed; nothing when none runs.
    func stopRunning() async {
        let task = StoreRuns.runs.withLock { $0.removeValue(forKey: ObjectIdentifier(self as AnyObject)) }
        task?.cancel()
        _ = await task?.result
    }
}
