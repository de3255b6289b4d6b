import Foundation
import GRDB
import HookGateCore
import JOSE
import Logging
import Synchronization

/// The SQLite backend of the store contract (GRDB on the system libsqlite3, WAL): events
/// deduplicated by (provider, event id) with their outbox rows, the delivery queue, the
/// queries, and the key cache's saved keys. One gate per database file.
///
/// Writes go through one writer with **group commit** (``GroupCommitter``): concurrent
/// ``store(_:)`` calls queue up while a transaction commits and are committed together
/// in the next one, so throughput is not capped by the disk's fsync rate. Every call
/// returns only after its transaction committed with the configured durability (`full`:
/// fsync of the WAL on commit; `normal`: survives a process crash, not power loss).
package final class SQLiteEventStore: GateStore, Sendable {
    /// The most events committed in one transaction.
    package static let maxBatch = 512

    /// The most events waiting for a commit; past it ``store(_:)`` answers `overloaded`
    /// (503, the sender retries) instead of queueing without bound.
    package let maxQueued: Int

    let pool: DatabasePool
    /// The quarantine's own database (``quarantinePath(for:)``), so that writing refused
    /// requests never takes the events' writer or grows the WAL their commits sync; `nil`
    /// for a read-only store whose quarantine file does not exist.
    let quarantinePool: DatabasePool?
    package let path: String
    /// `PRAGMA synchronous` for event commits: FULL or NORMAL, from the configuration.
    let synchronous: String
    private let committer: GroupCommitter<Prepared, StoreOutcome>
    private let outboxListener: OutboxListener
    private let lastCommitFailure: CommitHealth
    let checkpointer: WALCheckpointer?

    /// Why the last event commit failed (cleared by the next one that succeeds).
    struct CommitFailure: Sendable {
        var reason: String
        var diskFull: Bool
    }

    /// The last event commit's failure, shared with the committer's closure (for `/readyz`).
    final class CommitHealth: Sendable {
        private let failure = Mutex<CommitFailure?>(nil)

        func withLock<T>(_ body: (inout CommitFailure?) -> T) -> T { failure.withLock { body(&$0) } }
    }

    /// Calls `listener` after every commit that wrote outbox rows (the dispatcher's wake-up).
    package func onOutboxWrite(_ listener: @escaping @Sendable () -> Void) {
        outboxListener.set(listener)
    }

    /// The one callback told about outbox writes; shared with the committer's closure.
    final class OutboxListener: Sendable {
        private let listener = Mutex<(@Sendable () -> Void)?>(nil)

        func set(_ callback: @escaping @Sendable () -> Void) { listener.withLock { $0 = callback } }

        func fire() { listener.withLock { $0 }?() }
    }

    /// An event with its derived columns computed before it joins the queue, so the
    /// single writer does only SQL. Plaid/LinkMoney ids already are the body's SHA-256.
    struct Prepared: Sendable {
        var event: IncomingEvent
        var bodySHA256: String
        var headersJSON: String

        init(_ event: IncomingEvent) {
            self.event = event
            bodySHA256 = event.bodySHA256
            headersJSON = StoredHeaders.encode(event.headers)
        }
    }

    /// How often, at most, the ``WALCheckpointer`` copies committed frames into the database
    /// file while events are committed. At 3,900 webhooks/s it lowered the intake's service
    /// time p99 from 10.7–12.2 ms to 7.3–9.1 ms and cost 3.1 % more CPU per webhook at
    /// saturation (measured for a7542b9, its commit message has the figures; why:
    /// docs/architecture.md, "Design decisions, and why").
    package static let checkpointInterval: Duration = .milliseconds(25)

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Parameter checkpointInterval: how often, at most, a second connection checkpoints
    ///   the WAL after event commits (``WALCheckpointer``); `nil`: only SQLite's own
    ///   checkpoint inside the commit that brings the WAL to 1,000 frames.
    /// - Parameter readOnly: open an existing database read-only, as `hookgate store copy` reads
    ///   its source (a running gate may go on writing it): nothing is created or migrated, there
    ///   is no checkpointer, and every write fails.
    /// - Throws: when the file cannot be opened or migrated; read-only, when it is not a HookGate database.
    package init(
        path: String, durability: GateConfiguration.Durability, maxQueued: Int = 8192,
        checkpointInterval: Duration? = SQLiteEventStore.checkpointInterval, readOnly: Bool = false, logger: Logger = Logger(label: "hookgate.store")
    ) throws {
        self.path = path
        self.maxQueued = maxQueued
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "hookgate"
        configuration.readonly = readOnly
        if !readOnly {
            // Webhook bodies are financial data: owner-only. The file is created 0600 before
            // SQLite opens it (an empty file is an empty database), so the -wal and -shm files
            // SQLite creates next take the same mode, whatever the umask.
            PrivateFile.createIfMissing(path)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pool = pool
        let quarantinePath = SQLiteEventStore.quarantinePath(for: path)
        if readOnly {
            quarantinePool = FileManager.default.fileExists(atPath: quarantinePath) ? try DatabasePool(path: quarantinePath, configuration: configuration) : nil
        } else {
            PrivateFile.createIfMissing(quarantinePath)
            // WAL with synchronous=NORMAL (DatabasePool's default): refused requests acknowledged nobody.
            let quarantinePool = try DatabasePool(path: quarantinePath, configuration: configuration)
            try StoreSchema.quarantineMigrator.migrate(quarantinePool)
            self.quarantinePool = quarantinePool
        }
        // DatabasePool switches to WAL with synchronous=NORMAL after prepareDatabase runs,
        // so the writer's durability is set here, afterwards.
        let level = durability == .full ? "FULL" : "NORMAL"
        synchronous = level
        let listener = OutboxListener()
        outboxListener = listener
        let health = CommitHealth()
        lastCommitFailure = health
        let checkpointer = readOnly ? nil : try checkpointInterval.map { try WALCheckpointer(path: path, interval: $0, logger: logger) }
        self.checkpointer = checkpointer
        // Each batch commits on the writer's own queue, and its answers leave from there:
        // no task and no hop back per commit.
        committer = GroupCommitter(
            maxBatch: SQLiteEventStore.maxBatch, maxQueued: maxQueued,
            schedule: { step in pool.asyncWriteWithoutTransaction { db in step(db) } }
        ) { [logger] (db: Database, batch) in
            var outcomes: [StoreOutcome] = []
            do {
                try db.inTransaction {
                    outcomes = try SQLiteEventStore.insert(batch, into: db)
                    return .commit
                }
                health.withLock { if $0 != nil { $0 = nil } }
            } catch {
                logger.error("commit failed; \(batch.count) events not acknowledged", metadata: ["error": "\(error)"])
                let diskFull = (error as? DatabaseError)?.resultCode == .SQLITE_FULL
                health.withLock { $0 = CommitFailure(reason: SQLiteEventStore.describe(error), diskFull: diskFull) }
                throw error
            }
            checkpointer?.committed()
            if batch.contains(where: { !$0.event.deliveries.isEmpty }) { listener.fire() }
            return outcomes
        }
        if readOnly {
            let tables = try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
            guard Set(tables).isSuperset(of: ["events", "deliveries", "attempts", "keys"]) else {
                throw SQLiteStoreError("\(path) is not a HookGate database: it has no events, deliveries, attempts and keys tables")
            }
            return
        }
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(level)") }
        try StoreSchema.migrator.migrate(pool)
    }

    /// A write transaction committed without waiting for fsync, for bookkeeping whose
    /// loss on power failure is harmless (a claim reverts to pending, a delivered mark
    /// to a repeat delivery: at-least-once either way). The WAL stays ordered, so the
    /// next durable commit syncs these frames too. Event commits never go through here.
    func relaxedWrite<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let level = synchronous
        return try await pool.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            defer { try? db.cachedStatement(sql: "PRAGMA synchronous = \(level)").execute() }
            var result: T?
            try db.inTransaction(.immediate) {
                result = try updates(db)
                return .commit
            }
            return result!
        }
    }

    // MARK: Events

    /// Commits `event` (and, when it is new, one outbox row per planned delivery) in
    /// the next group commit, and returns once that transaction is durable.
    /// - Throws: `overloaded` when ``maxQueued`` events already wait (nothing is queued);
    ///   `store_unavailable` when the transaction holding it failed.
    package func store(_ event: IncomingEvent) async throws(HookGateError) -> StoreOutcome {
        do {
            return try await committer.submit(Prepared(event))
        } catch {
            throw error.storeError
        }
    }

    /// ``store(_:)``, calling `completion` on the writer's queue once the transaction is durable.
    package func store(_ event: IncomingEvent, completion: @escaping @Sendable (Result<StoreOutcome, HookGateError>) -> Void) {
        committer.submit(Prepared(event)) { result in completion(result.mapError { $0.storeError }) }
    }

    /// Inserts a batch of events and their outbox rows; an event already stored is a
    /// duplicate and gets no rows. Hand-written SQL with cached statements: the hot path.
    static func insert(_ events: [Prepared], into db: Database) throws -> [StoreOutcome] {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (provider, event_id, event_type, body, body_sha256, headers, client_ip, request_id, received_at, claims)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING
                """)
        let outbox = try db.cachedStatement(
            sql: """
                INSERT INTO deliveries (event_row, handler, status, attempts, next_attempt_at, order_key, created_at, updated_at)
                VALUES (?, ?, ?, 0, ?, ?, ?, ?)
                """)
        var outcomes: [StoreOutcome] = []
        outcomes.reserveCapacity(events.count)
        for item in events {
            let event = item.event
            try statement.execute(arguments: [
                event.provider.rawValue, event.eventID, event.eventType, Data(event.body), item.bodySHA256,
                item.headersJSON, event.clientIP, event.requestID, event.receivedAt, event.claims,
            ])
            let accepted = db.changesCount == 1
            outcomes.append(accepted ? .accepted : .duplicate)
            guard accepted else { continue }
            let row = db.lastInsertedRowID
            for delivery in event.deliveries {
                try outbox.execute(arguments: [
                    row, delivery.handler, DeliveryStatus.pending, event.receivedAt, delivery.orderKey, event.receivedAt, event.receivedAt,
                ])
            }
        }
        return outcomes
    }

    package func event(id: Int64) async throws -> StoredEvent? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id]).map(SQLiteEventStore.decode) }
    }

    package func event(provider: Provider, eventID: String) async throws -> StoredEvent? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE provider = ? AND event_id = ?", arguments: [provider.rawValue, eventID])
                .map(SQLiteEventStore.decode)
        }
    }

    package func events(provider: Provider?, since: Int64?, limit: Int) async throws -> [StoredEvent] {
        try await pool.read { db in
            var conditions = SQLConditions()
            conditions.add("provider = ?", provider?.rawValue)
            conditions.add("received_at >= ?", since)
            var arguments = conditions.arguments
            arguments += [limit]
            return try Row.fetchAll(db, sql: "SELECT * FROM events \(conditions.sql) ORDER BY id DESC LIMIT ?", arguments: arguments).map(
                SQLiteEventStore.decode)
        }
    }

    static func decode(_ row: Row) throws -> StoredEvent {
        let body: Data = try row.decode(forColumn: "body")
        return StoredEvent(
            id: try row.decode(forColumn: "id"),
            provider: Provider(rawValue: try row.decode(String.self, forColumn: "provider")) ?? .plaid,
            eventID: try row.decode(forColumn: "event_id"),
            eventType: try row.decode(forColumn: "event_type"),
            body: Array(body),
            bodySHA256: try row.decode(forColumn: "body_sha256"),
            headers: StoredHeaders.decode(try row.decode(forColumn: "headers")),
            clientIP: try row.decode(String?.self, forColumn: "client_ip"),
            requestID: try row.decode(forColumn: "request_id"),
            receivedAt: try row.decode(forColumn: "received_at"),
            claims: try row.decode(String?.self, forColumn: "claims"),
            recovered: EventRecovery(json: try row.decode(String?.self, forColumn: "recovered"))
        )
    }

    /// The quarantine's database beside the events' one: `PATH.quarantine` (with its own
    /// `-wal` and `-shm`).
    package static func quarantinePath(for path: String) -> String {
        path + ".quarantine"
    }

    /// The number of stored events and the database's size on disk (main file, WAL and shared memory), in bytes.
    package func size() async throws -> (events: Int, bytes: Int64) {
        let count = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
        var bytes: Int64 = 0
        for suffix in ["", "-wal", "-shm"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix), let size = attributes[.size] as? NSNumber {
                bytes += size.int64Value
            }
        }
        return (count, bytes)
    }

    /// Deletes events received before `cutoff` (Unix ms) in transactions of 1000, so intake
    /// is never blocked for long; their deliveries and attempts go with them (foreign keys).
    @discardableResult
    package func prune(receivedBefore cutoff: Int64) async throws -> Int {
        try await prune(receivedBefore: cutoff, chunk: 1000)
    }

    /// Deletes events received before `cutoff` (Unix ms), `chunk` per transaction. Returns how many.
    @discardableResult
    package func prune(receivedBefore cutoff: Int64, chunk: Int) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await pool.write { db -> Int in
                try db.execute(
                    sql: "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY received_at LIMIT ?)",
                    arguments: [cutoff, chunk])
                return db.changesCount
            }
            total += deleted
            if deleted < chunk { return total }
        }
    }

    /// `PRAGMA integrity_check`; `"ok"` when the file is sound.
    package func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL, 1 = NORMAL).
    package func synchronousLevel() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Free bytes below which `/readyz` reports the disk as nearly full.
    package static let readinessReserveBytes: Int64 = 1 << 20

    /// Why the store cannot take events now, for `/readyz`; `nil` when it can.
    ///
    /// Reports, in this order: the last event commit's failure, until a commit succeeds
    /// (a full disk is taken as mended once the database's filesystem has
    /// ``readinessReserveBytes`` free again); a write transaction that cannot be committed;
    /// and a filesystem with less than ``readinessReserveBytes`` free.
    package func writeProblem() async -> String? {
        let free = freeBytes()
        if let failure = lastCommitFailure.withLock({ $0 }) {
            if failure.diskFull, let free, free >= SQLiteEventStore.readinessReserveBytes {
                lastCommitFailure.withLock { $0 = nil }
            } else {
                let space = free.map { ", \($0) bytes free" } ?? ""
                return "store not writable: the last commit failed: \(failure.reason)\(space)"
            }
        }
        do {
            try await pool.write { db in try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS readiness (x); DELETE FROM readiness") }
        } catch {
            return "store not writable: \(SQLiteEventStore.describe(error))"
        }
        if let free, free < SQLiteEventStore.readinessReserveBytes {
            return "disk nearly full: \(free) bytes free where the database is (reserve \(SQLiteEventStore.readinessReserveBytes))"
        }
        return nil
    }

    /// Bytes available to this process on the database's filesystem.
    func freeBytes() -> Int64? {
        var info = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// A store error for a log line or `/readyz`: SQLite's message and code, without the SQL.
    static func describe(_ error: any Error) -> String {
        guard let database = error as? DatabaseError else { return "\(error)" }
        return "\(database.message ?? "SQLite error") (SQLite code \(database.extendedResultCode.rawValue))"
    }

    // MARK: Keys

    /// Every saved key of `provider`, oldest saved first.
    package func savedKeys(provider: Provider) async throws -> [JWK] {
        let texts = try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT jwk FROM keys WHERE provider = ? ORDER BY saved_at", arguments: [provider.rawValue])
        }
        return texts.compactMap { try? JSONDecoder().decode(JWK.self, from: Data($0.utf8)) }
    }

    /// Saves `key`, replacing the saved key of the same provider and `kid`.
    package func saveKey(_ key: JWK, provider: Provider) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(key), as: UTF8.self)
        try await pool.write { db in
            try db.execute(
                sql:
                    "INSERT INTO keys (provider, kid, jwk, saved_at) VALUES (?, ?, ?, ?) ON CONFLICT (provider, kid) DO UPDATE SET jwk = excluded.jwk, saved_at = excluded.saved_at",
                arguments: [provider.rawValue, key.keyID ?? "", text, Int64(Date().timeIntervalSince1970)])
        }
    }
}
