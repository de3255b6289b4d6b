import Foundation
import HookGateCore
import HookGateDispatch
import HookGatePostgres
import HookGateServer
import HookGateStore
import Logging
import ServiceLifecycle
import UnixSignals

/// The composition root: a configured gate, assembled from the backend the configuration
/// names, the key caches and verifiers, the deliverers and the dispatcher, the server and
/// retention.
///
/// ``init(configuration:logger:clock:)`` opens and migrates the backend and, in a run of the
/// store of its own, loads the saved keys. ``makeServiceGroup(gracefulShutdownSignals:onListening:)``
/// then runs every long-lived part as a service, started in this order: the store (its
/// connection pools, outbox listener and WAL checkpointer), the handlers' HTTP clients,
/// retention, the dispatcher, the quarantine writer, the admin and public listeners, the
/// readiness watcher. Graceful shutdown (SIGTERM/SIGINT or ``ServiceGroup/triggerGracefulShutdown()``)
/// runs in reverse: `/readyz` turns unready, the public listener stops accepting and
/// finishes in-flight requests (each one commits before it is answered), then the admin
/// listener, the quarantine writer, the dispatcher (attempts in flight finish), retention
/// and the HTTP clients stop, and the store closes last.
package final class Gate: Sendable {
    /// The configuration the gate runs on.
    package let configuration: GateConfiguration
    /// The backend: SQLite (`database.path`) or PostgreSQL (`database.url`).
    package let store: any GateStore
    /// The fan-out service.
    package let dispatcher: Dispatcher
    /// The two listeners.
    package let server: GateServer
    /// The `http` handlers' clients, shared by their deliverers.
    let handlerClients: HandlerClients
    /// The time of the dispatcher, retention and the fetched keys' caches.
    let clock: any GateClock
    let logger: Logger

    /// The version `/stats` and `hookgate --version` report.
    package static var version: String { GateServer.version }

    /// The key caches of the providers that verify tokens.
    package var keyCaches: [Provider: KeyCache] { server.keyCaches }

    /// Opens the backend and prepares verifiers, deliverers, dispatcher and server.
    /// - Parameter clock: the time of the dispatcher, retention and the fetched keys' caches
    ///   (their cooldowns); tests move it by hand.
    /// - Throws: ``ConfigurationError`` for unreadable key files or a bad key URL, or the backend's error.
    package init(configuration: GateConfiguration, logger: Logger, clock: any GateClock = WallClock()) async throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        // PostgreSQL is migrated in the same run that loads the saved keys: one pair of
        // pools before the group's own, not two.
        let store: any GateStore
        let prepare: @Sendable () async throws -> Void
        if let url = configuration.database.url {
            let postgres = PostgresEventStore.unopened(url: url, durability: configuration.database.durability, logger: logger)
            (store, prepare) = (postgres, { try await postgres.prepare() })
        } else {
            (store, prepare) = (try await Gate.openStore(configuration.database, logger: logger), {})
        }
        self.store = store
        let metrics = GateMetrics(providers: configuration.providers.map(\.provider))
        let keys = KeyCacheBuilder(
            configuration: configuration, keyStore: store, metrics: metrics.figures, logger: logger, precomputeTables: true, clock: clock)
        // Migrations and saved keys before the service group starts, in a run of the store of its own.
        let (verifiers, caches) = try await store.withRunning {
            try await prepare()
            var caches: [Provider: KeyCache] = [:]
            var verifiers: [Provider: WebhookVerifier] = [:]
            for settings in configuration.providers {
                let scheme: WebhookVerifier.Scheme
                switch settings.verification {
                case .none:
                    logger.warning(
                        "verification is OFF for this provider: anyone who can reach its route can post events",
                        metadata: ["provider": "\(settings.provider)"])
                    scheme = .none
                case .token(_, let secret):
                    scheme = .token(secret: Array(secret.utf8))
                case .signature(let signature):
                    scheme = .signature(signature)
                case .jwt(_, let keySettings, let maxAge):
                    let cache = try await keys.keyCache(settings.provider, keySettings)
                    caches[settings.provider] = cache
                    scheme = .jwt(keys: cache, maxAge: maxAge)
                }
                verifiers[settings.provider] = WebhookVerifier(provider: settings.provider, scheme: scheme)
            }
            return (verifiers, caches)
        }
        let deliverers = DelivererBuilder(configuration: configuration)
        let clients = deliverers.makeClients()
        handlerClients = clients
        let dispatcher = Dispatcher(
            delivery: configuration.delivery, handlers: deliverers.makeHandlers(clients: clients), store: store, clock: clock,
            storeRunning: { await store.waitUntilRunning() }, metrics: metrics.figures, logger: logger)
        self.dispatcher = dispatcher
        server = GateServer(
            configuration: configuration, store: store, verifiers: verifiers, keyCaches: caches, waker: dispatcher, metrics: metrics, logger: logger)
        store.onOutboxWrite { dispatcher.notify() }
    }

    /// Opens the backend `database` names: the PostgreSQL database at its `url` when set,
    /// else the SQLite file at its `path`. Run it (``RunnableStore/run()``, or
    /// ``RunnableStore/withRunning(_:)``) to use it.
    /// - Parameter existing: for PostgreSQL, refuse a database without HookGate's tables
    ///   instead of creating them (the caller checks a SQLite file exists).
    /// - Throws: when the database cannot be reached, opened or migrated.
    package static func openStore(_ database: GateConfiguration.Database, existing: Bool = false, logger: Logger) async throws -> any GateStore {
        if let url = database.url {
            return try await PostgresEventStore.open(url: url, durability: database.durability, existing: existing, logger: logger)
        }
        return try SQLiteEventStore(path: database.path, durability: database.durability, logger: logger)
    }

    /// The service group running the store, the handlers' HTTP clients, retention, the
    /// dispatcher and the server's services (quarantine writer, listeners, readiness),
    /// started in that order and stopped in reverse.
    /// - Parameters:
    ///   - gracefulShutdownSignals: signals that start a graceful shutdown (none in tests).
    ///   - onListening: called with (public port, admin port) once both are bound.
    package func makeServiceGroup(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        onListening: @escaping @Sendable (_ publicPort: Int, _ adminPort: Int) async -> Void = { _, _ in }
    ) -> ServiceGroup {
        let retention = RetentionService(
            store: store, retention: configuration.database.retention, quarantineRetention: configuration.quarantine.retention, interval: 300,
            clock: clock, logger: logger)
        var group = ServiceGroupConfiguration(
            services: [
                .init(service: StoreService(store: store), serviceName: "store"),
                .init(service: handlerClients, serviceName: "handler-clients"),
                .init(service: retention, serviceName: "retention"),
                .init(service: dispatcher, serviceName: "dispatcher"),
            ] + server.makeServices(onListening: onListening),
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(30)
        group.maximumCancellationDuration = .seconds(10)
        return ServiceGroup(configuration: group)
    }
}
