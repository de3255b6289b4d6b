import Foundation
import HookGateCore
import JOSE
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The PostgreSQL backend of the store contract (postgres-nio): any number of gates share
/// one database, and with it the dedup, the outbox and the fetched keys.
///
/// - **Dedup across gates**: the unique (provider, event id) constraint, `ON CONFLICT DO
///   NOTHING`, in the statement that also writes the outbox rows (one statement: one
///   transaction). Of copies sent to different gates at once, exactly one is accepted.
/// - **Group commit**: concurrent ``store(_:)`` calls of this gate are committed together,
///   in one multi-row statement; `durability: full` commits with `synchronous_commit = on`,
///   `normal` with `off`.
/// - **Claims**: `FOR UPDATE SKIP LOCKED` under a lease; see ``claimDue(handler:now:leaseUntil:limit:)``.
/// - **Wake-ups**: a trigger notifies `hookgate_outbox` when outbox rows are written (by
///   any gate); each gate listens on it, and its dispatcher polls as the backstop.
/// - **Unavailable database**: an event commit that does not finish within
///   ``commitDeadline`` seconds (``commitDeadlineWhileFailing`` after a failed one), or fails,
///   answers `store_unavailable` (503 with `Retry-After`); the connection pool reconnects by
///   itself, and `/readyz` says why.
///
/// Bookkeeping writes (claims, lease renewals, attempt results) and reads go through a
/// second pool whose sessions commit with `synchronous_commit = off`: losing one on a crash
/// of the database server means a repeated delivery (at-least-once), never a lost event.
/// The WAL is sequential, so the next durable commit makes them durable too.
///
/// The connection pools and the listener run in ``run()``: the first service of the gate's
/// group (stopped last), or a scope of ``RunnableStore/withRunning(_:)`` (migrations when
/// opening, saved keys before the group starts, commands). Each run ends by closing every
/// connection; the next one starts on new pools, and queries made between runs wait for it.
package final class PostgresEventStore: GateStore, Service, Sendable {
    /// The most events committed in one statement (10 binds each, plus 6 per outbox row;
    /// PostgreSQL takes at most 65,535 binds per statement, larger batches are split).
    package static let maxBatch = 256
    /// Seconds an event commit may take before the sender is answered 503.
    package static let commitDeadline = 5.0
    /// The deadline while the last commit failed (the database is likely down): senders get
    /// their 503 within a second instead of waiting out the full deadline each time.
    package static let commitDeadlineWhileFailing = 1.0

    /// The most events waiting for a commit; past it ``store(_:)`` answers `overloaded`.
    package let maxQueued: Int
    /// The database, without its password.
    package let url: DatabaseURL
    /// This store's id among the gates: its sessions' `hookgate.gate` setting, the payload of
    /// the outbox notifications its commits send (it has woken its own dispatcher already).
    let gate: String
    /// Event commits, redeliveries, saved keys, retention: `synchronous_commit` per durability.
    var durable: PostgresClient { pools.current.withLock { $0.durable } }
    /// Claims, lease renewals, attempt results and reads: `synchronous_commit = off`.
    var relaxed: PostgresClient { pools.current.withLock { $0.relaxed } }
    let logger: Logger
    private let committer: GroupCommitter<IncomingEvent, StoreOutcome>
    private let listener: OutboxListener
    private let lastCommitFailure: CommitHealth
    private let pools: Pools

    /// The two pools of the next or current run; shared with the committer's closure.
    final class Pools: Sendable {
        struct Pair: Sendable {
            let durable: PostgresClient
            let relaxed: PostgresClient
        }
        /// How many of the current pair's `run()` have been entered, and who waits for both.
        struct Start {
            var entered = 0
            var waiters: [CheckedContinuation<Void, Never>] = []
        }
        let make: @Sendable () -> Pair
        let current: Mutex<Pair>
        let start = Mutex(Start())

        init(_ make: @escaping @Sendable () -> Pair) {
            self.make = make
            current = Mutex(make())
        }

        /// Called as each pool of the current pair enters its `run()`.
        func entered() {
            let waiters = start.withLock { start -> [CheckedContinuation<Void, Never>] in
                start.entered += 1
                guard start.entered == 2 else { return [] }
                defer { start.waiters = [] }
                return start.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        /// Returns once both pools of the current pair run.
        func waitUntilRunning() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = start.withLock { start -> Bool in
                    if start.entered >= 2 { return true }
                    start.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        /// The pools the run starting now runs (one run at a time: a pool runs once).
        func takeForRun() -> Pair {
            current.withLock { $0 }
        }

        /// After a run has closed `pair`: queries made from now on wait for the next run.
        func replace(_ pair: Pair) {
            let next = make()
            current.withLock { if $0.durable === pair.durable { $0 = next } }
            start.withLock { $0.entered = 0 }
        }
    }

    /// Opens the database at `url` and migrates the schema (under an advisory lock, once
    /// across gates starting together), in a run of its own; the store returned is not
    /// running: run it (``run()``, ``RunnableStore/withRunning(_:)``) to use it.
    /// - Parameter existing: refuse a database without HookGate's tables instead of
    ///   creating them (for tools that read a gate's database, like `hookgate events`).
    /// - Parameter readOnly: every session reads only (`default_transaction_read_only`), and
    ///   nothing is migrated: how `hookgate store copy` opens its source (implies `existing`).
    /// - Throws: when the database cannot be reached within `connectTimeout` seconds, a
    ///   migration fails, or `existing` is set and the database has no HookGate tables.
    package static func open(
        url: DatabaseURL, durability: GateConfiguration.Durability, maxQueued: Int = 8192, connectTimeout: Double = 15, existing: Bool = false,
        readOnly: Bool = false, logger: Logger = Logger(label: "hookgate.store")
    ) async throws -> PostgresEventStore {
        let store = unopened(url: url, durability: durability, maxQueued: maxQueued, readOnly: readOnly, logger: logger)
        try await store.withRunning { try await store.prepare(connectTimeout: connectTimeout, existing: existing, readOnly: readOnly) }
        return store
    }

    /// A store on `url` that is neither running nor migrated: run it, then ``prepare(connectTimeout:existing:readOnly:)``
    /// in that run. How a caller that keeps one run from the start (tests) saves the pools
    /// of the run ``open(url:durability:maxQueued:connectTimeout:existing:readOnly:logger:)`` migrates in.
    package static func unopened(
        url: DatabaseURL, durability: GateConfiguration.Durability, maxQueued: Int = 8192, readOnly: Bool = false,
        logger: Logger = Logger(label: "hookgate.store")
    ) -> PostgresEventStore {
        PostgresEventStore(url: url, durability: durability, maxQueued: maxQueued, readOnly: readOnly, logger: logger)
    }

    /// Checks the database and migrates it, on the running store (see ``open(url:durability:maxQueued:connectTimeout:existing:readOnly:logger:)``).
    /// - Throws: ``PostgresStoreError`` when the database cannot be reached within
    ///   `connectTimeout` seconds, a migration fails, or `existing` is set and it has no HookGate tables.
    package func prepare(connectTimeout: Double = 15, existing: Bool = false, readOnly: Bool = false) async throws {
        let logger = self.logger
        do {
            try await Deadline.run(connectTimeout, "connecting to \(url) and migrating") { [self] in
                if existing || readOnly, try await !PostgresSchema.isHookGateDatabase(durable, logger: logger) {
                    throw PostgresStoreError("no HookGate database at \(url): it has no hookgate_migrations table")
                }
                if !readOnly { try await PostgresSchema.migrate(durable, logger: logger) }
            }
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            throw PostgresStoreError("cannot open \(url): \(PostgresEventStore.describe(error))")
        }
    }

    private init(url: DatabaseURL, durability: GateConfiguration.Durability, maxQueued: Int, readOnly: Bool, logger: Logger) {
        self.url = url
        self.maxQueued = maxQueued
        self.logger = logger
        let gate = UUID().uuidString
        self.gate = gate
        let pools = Pools {
            Pools.Pair(
                durable: PostgresClient(
                    configuration: PostgresEventStore.configuration(
                        url, gate: gate, synchronousCommit: durability == .full, connections: 8, readOnly: readOnly),
                    backgroundLogger: logger),
                relaxed: PostgresClient(
                    configuration: PostgresEventStore.configuration(url, gate: gate, synchronousCommit: false, connections: 8, readOnly: readOnly),
                    backgroundLogger: logger))
        }
        self.pools = pools
        let listener = OutboxListener()
        self.listener = listener
        let failure = CommitHealth()
        lastCommitFailure = failure
        committer = GroupCommitter(maxBatch: PostgresEventStore.maxBatch, maxQueued: maxQueued) { [logger] batch in
            do {
                let failing = failure.reason.withLock { $0 != nil }
                let deadline = failing ? PostgresEventStore.commitDeadlineWhileFailing : PostgresEventStore.commitDeadline
                let outcomes = try await Deadline.run(deadline, "the event commit") {
                    try await PostgresEventStore.insert(batch, into: pools.current.withLock { $0.durable }, logger: logger)
                }
                failure.reason.withLock { if $0 != nil { $0 = nil } }
                if batch.contains(where: { !$0.deliveries.isEmpty }) { listener.fire() }
                return outcomes
            } catch {
                let reason = PostgresEventStore.describe(error)
                logger.error("commit failed; \(batch.count) events not acknowledged", metadata: ["error": "\(reason)"])
                failure.reason.withLock { $0 = reason }
                throw PostgresStoreError(reason)
            }
        }
    }

    /// Why the last event commit failed (cleared by the next success, or a readiness check
    /// that finds the database writable); shared with the committer's closure.
    final class CommitHealth: Sendable {
        let reason = Mutex<String?>(nil)
    }

    /// The pool configuration for `url`: TLS per `sslmode`, and `synchronous_commit` set for
    /// every session of the pool at connection start.
    static func configuration(
        _ url: DatabaseURL, gate: String, synchronousCommit: Bool, connections: Int, readOnly: Bool = false
    ) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            let tls: PostgresClient.Configuration.TLS =
                switch url.tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            configuration = .init(
                host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = connections
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", synchronousCommit ? "on" : "off"), ("application_name", "hookgate"), ("hookgate.gate", gate),
        ]
        if readOnly { configuration.options.additionalStartupParameters.append(("default_transaction_read_only", "on")) }
        return configuration
    }

    /// Runs both pools and the outbox listener until a graceful shutdown or cancellation,
    /// then stops the listener and closes every connection (queries under way fail).
    package func run() async throws {
        let pair = pools.takeForRun()
        let listener = self.listener
        let logger = self.logger
        let gate = self.gate
        listener.start()
        await withDiscardingTaskGroup { group in
            // Marked entered just before each `run()` is called: queries leased after that
            // do not warn that the client is not running (`waitUntilRunning()`).
            group.addTask { [pools] in
                pools.entered()
                await pair.durable.run()
            }
            group.addTask { [pools] in
                pools.entered()
                await pair.relaxed.run()
            }
            group.addTask { await listener.listen(pair.durable, channel: PostgresSchema.outboxChannel, ignoring: gate, logger: logger) }
            try? await gracefulShutdown()
            listener.stop()
            group.cancelAll()
        }
        pools.replace(pair)
    }

    /// Returns once both pools of the run under way (or of the next one) have started.
    package func waitUntilRunning() async {
        await pools.waitUntilRunning()
    }

    /// Calls `listener` after outbox writes and redeliveries, of this gate and of the others.
    package func onOutboxWrite(_ callback: @escaping @Sendable () -> Void) {
        listener.set(callback)
    }

    // MARK: Events

    /// Commits `event` (and, when it is new, its outbox rows) in the next group commit, and
    /// returns once that statement has committed.
    /// - Throws: `overloaded` when ``maxQueued`` events already wait (nothing is queued);
    ///   `store_unavailable` when the commit failed or did not finish in ``commitDeadline`` s.
    package func store(_ event: IncomingEvent) async throws(HookGateError) -> StoreOutcome {
        do {
            return try await committer.submit(event)
        } catch {
            throw error.storeError
        }
    }

    /// ``store(_:)``, calling `completion` from the committing task once the statement has committed.
    package func store(_ event: IncomingEvent, completion: @escaping @Sendable (Result<StoreOutcome, HookGateError>) -> Void) {
        committer.submit(event) { result in completion(result.mapError { $0.storeError }) }
    }

    /// Why the store cannot take events now, for `/readyz`; `nil` when it can.
    ///
    /// Asks the database (within 3 s) whether it takes writes: unreachable, or a read-only
    /// standby, is a reason. When it does, an earlier commit failure is taken as mended.
    package func writeProblem() async -> String? {
        do {
            let writable = try await Deadline.run(3, "the readiness query") { [durable] in
                let rows = try await durable.query("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'")
                for try await writable in rows.decode(Bool.self) { return writable }
                return false
            }
            guard writable else { return "store not writable: \(url) is read-only (a standby, or default_transaction_read_only)" }
            lastCommitFailure.reason.withLock { $0 = nil }
            return nil
        } catch {
            let last = lastCommitFailure.reason.withLock { $0 }.map { "; the last commit failed: \($0)" } ?? ""
            return "store unavailable: \(url): \(PostgresEventStore.describe(error))\(last)"
        }
    }

    /// A database error for a log line or `/readyz`: the server's message and SQLSTATE, or
    /// what went wrong with the connection; never the SQL or the password.
    static func describe(_ error: any Error) -> String {
        if let store = error as? PostgresStoreError { return store.description }
        if let exceeded = error as? Deadline.Exceeded { return exceeded.description }
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(psql.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
        return "\(psql.code)"
    }
}
