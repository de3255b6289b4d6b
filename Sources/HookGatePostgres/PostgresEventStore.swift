import Foundation
import HookGateCore
import JOSE
import Logging
import NIOSSL
import PostgresNIO
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
/// The store runs its connection pools and the listener on a task of its own, started by
/// ``open(url:durability:maxQueued:logger:)`` and ended by ``close()``: it must work before
/// the gate's service group starts (migrations, saved keys) and in commands that have none.
package final class PostgresEventStore: GateStore, Sendable {
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
    let durable: PostgresClient
    /// Claims, lease renewals, attempt results and reads: `synchronous_commit = off`.
    let relaxed: PostgresClient
    let logger: Logger
    private let committer: GroupCommitter<IncomingEvent, StoreOutcome>
    private let listener: OutboxListener
    private let lastCommitFailure: CommitHealth
    private let runner: Mutex<Task<Void, Never>?>
    /// How many of the two pools' `run()` have been entered (leasing before that only waits, with a warning).
    private let poolsRunning = PoolsRunning()

    final class PoolsRunning: Sendable {
        let count = Mutex(0)
    }

    /// Opens the database at `url`: starts the connection pools and the listener, and
    /// migrates the schema (under an advisory lock, once across gates starting together).
    /// - Parameter existing: refuse a database without HookGate's tables instead of
    ///   creating them (for tools that read a gate's database, like `hookgate events`).
    /// - Parameter readOnly: every session reads only (`default_transaction_read_only`), and
    ///   nothing is migrated: how `hookgate store copy` opens its source (implies `existing`).
    /// - Throws: when the database cannot be reached within `connectTimeout` seconds, a
    ///   migration fails, or `existing` is set and the database has no HookGate tables;
    ///   the store is closed again then.
    package static func open(
        url: DatabaseURL, durability: GateConfiguration.Durability, maxQueued: Int = 8192, connectTimeout: Double = 15, existing: Bool = false,
        readOnly: Bool = false, logger: Logger = Logger(label: "hookgate.store")
    ) async throws -> PostgresEventStore {
        let store = PostgresEventStore(url: url, durability: durability, maxQueued: maxQueued, readOnly: readOnly, logger: logger)
        await store.start()
        do {
            try await Deadline.run(connectTimeout, "connecting to \(url) and migrating") {
                if existing || readOnly, try await !PostgresSchema.isHookGateDatabase(store.durable, logger: logger) {
                    throw PostgresStoreError("no HookGate database at \(url): it has no hookgate_migrations table")
                }
                if !readOnly { try await PostgresSchema.migrate(store.durable, logger: logger) }
            }
        } catch let error as PostgresStoreError {
            await store.close()
            throw error
        } catch {
            await store.close()
            throw PostgresStoreError("cannot open \(url): \(PostgresEventStore.describe(error))")
        }
        return store
    }

    private init(url: DatabaseURL, durability: GateConfiguration.Durability, maxQueued: Int, readOnly: Bool, logger: Logger) {
        self.url = url
        self.maxQueued = maxQueued
        self.logger = logger
        let gate = UUID().uuidString
        self.gate = gate
        durable = PostgresClient(
            configuration: PostgresEventStore.configuration(
                url, gate: gate, synchronousCommit: durability == .full, connections: 8, readOnly: readOnly),
            backgroundLogger: logger)
        relaxed = PostgresClient(
            configuration: PostgresEventStore.configuration(url, gate: gate, synchronousCommit: false, connections: 8, readOnly: readOnly),
            backgroundLogger: logger)
        let listener = OutboxListener()
        self.listener = listener
        let failure = CommitHealth()
        lastCommitFailure = failure
        runner = Mutex(nil)
        let client = durable
        committer = GroupCommitter(maxBatch: PostgresEventStore.maxBatch, maxQueued: maxQueued) { [logger] batch in
            do {
                let failing = failure.reason.withLock { $0 != nil }
                let deadline = failing ? PostgresEventStore.commitDeadlineWhileFailing : PostgresEventStore.commitDeadline
                let outcomes = try await Deadline.run(deadline, "the event commit") {
                    try await PostgresEventStore.insert(batch, into: client, logger: logger)
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

    /// Runs both pools and the listener until ``close()``; returns once both pools run.
    private func start() async {
        let durable = self.durable
        let relaxed = self.relaxed
        let listener = self.listener
        let logger = self.logger
        let gate = self.gate
        let running = poolsRunning
        runner.withLock {
            $0 = Task {
                await withDiscardingTaskGroup { group in
                    for client in [durable, relaxed] {
                        group.addTask {
                            running.count.withLock { $0 += 1 }
                            await client.run()
                        }
                    }
                    group.addTask { await listener.listen(durable, channel: PostgresSchema.outboxChannel, ignoring: gate, logger: logger) }
                }
            }
        }
        while running.count.withLock({ $0 }) < 2 { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// Stops the listener and closes every connection.
    package func close() async {
        guard
            let task = runner.withLock({ value -> Task<Void, Never>? in
                defer { value = nil }
                return value
            })
        else { return }
        listener.stop()
        task.cancel()
        await task.value
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
