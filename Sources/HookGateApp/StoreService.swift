import HookGateCore
import ServiceLifecycle

/// The gate's store as the first service of its group: its ``RunnableStore/run()`` runs the
/// connection pools, the outbox listener and the WAL checkpointer, and, since the group
/// stops its services in reverse, closes them last, once everything that uses the store
/// has stopped.
struct StoreService: Service {
    let store: any GateStore

    func run() async throws {
        try await store.run()
    }
}
