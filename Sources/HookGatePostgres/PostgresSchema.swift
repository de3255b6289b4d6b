import Logging
import PostgresNIO

/// The PostgreSQL schema's migrations, applied in order at open, each once, in its own
/// transaction, under an advisory lock: N gates starting at the same moment migrate once,
/// the others wait and find nothing left to do. Never edit a registered migration: add one.
enum PostgresSchema {
    /// The advisory lock key migrations hold (any constant; "HKGT" in ASCII).
    static let migrationLock: Int64 = 0x484B_4754_0001
    /// The advisory lock key one pruning run holds, so retention runs on one gate at a time.
    static let retentionLock: Int64 = 0x484B_4754_0002
    /// The channel outbox writes and redeliveries notify.
    static let outboxChannel = "hookgate_outbox"

    /// Each migration: a name, and its statements (one per query: the extended protocol
    /// postgres-nio speaks takes one statement at a time).
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1-events-outbox-keys",
            [
                """
                CREATE TABLE events (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    provider text NOT NULL,
                    event_id text NOT NULL,
                    event_type text NOT NULL,
                    body bytea NOT NULL,
                    body_sha256 text NOT NULL,
                    headers text NOT NULL,
                    client_ip text,
                    request_id text NOT NULL,
                    received_at bigint NOT NULL,
                    claims text,
                    UNIQUE (provider, event_id)
                )
                """,
                "CREATE INDEX events_received_at ON events (received_at)",
                """
                CREATE TABLE keys (
                    provider text NOT NULL,
                    kid text NOT NULL,
                    jwk text NOT NULL,
                    saved_at bigint NOT NULL,
                    PRIMARY KEY (provider, kid)
                )
                """,
                """
                CREATE TABLE deliveries (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    event_row bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
                    handler text NOT NULL,
                    status text NOT NULL CHECK (status IN ('pending', 'retrying', 'in_flight', 'delivered', 'dead')),
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at bigint NOT NULL,
                    order_key text,
                    created_at bigint NOT NULL,
                    updated_at bigint NOT NULL,
                    last_error text,
                    lease_until bigint,
                    claim bigint
                )
                """,
                "CREATE INDEX deliveries_event ON deliveries (event_row)",
                "CREATE INDEX deliveries_status ON deliveries (status)",
                "CREATE INDEX deliveries_order ON deliveries (handler, order_key, id) WHERE order_key IS NOT NULL",
                "CREATE INDEX deliveries_waiting ON deliveries (handler, next_attempt_at, id) WHERE status IN ('pending', 'retrying')",
                "CREATE INDEX deliveries_leased ON deliveries (handler, lease_until) WHERE status = 'in_flight'",
                "CREATE SEQUENCE delivery_claims",
                """
                CREATE TABLE attempts (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    delivery_id bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
                    number integer NOT NULL,
                    started_at bigint NOT NULL,
                    duration_ms double precision NOT NULL,
                    succeeded boolean NOT NULL,
                    status_code integer,
                    excerpt text
                )
                """,
                "CREATE INDEX attempts_delivery ON attempts (delivery_id)",
                // Outbox rows written (by any gate) wake every gate's dispatcher: one notification
                // per statement that inserted rows, sent when its transaction commits, carrying
                // the writing gate's id (its sessions' hookgate.gate) so that gate can skip it.
                """
                CREATE FUNCTION hookgate_outbox_written() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM written) THEN
                        PERFORM pg_notify('hookgate_outbox', coalesce(current_setting('hookgate.gate', true), ''));
                    END IF;
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER deliveries_written AFTER INSERT ON deliveries
                    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION hookgate_outbox_written()
                """,
            ]
        ),
        (
            // `hookgate store copy` writes this one row with every batch it copies here
            // (``CopyMarker``): which source, how far; without it a target holding data is refused.
            "v2-copy-marker",
            [
                """
                CREATE TABLE copy_marker (
                    id integer PRIMARY KEY CHECK (id = 1),
                    source text NOT NULL,
                    through_row bigint NOT NULL,
                    complete boolean NOT NULL,
                    reads_since bigint NOT NULL,
                    updated_at bigint NOT NULL
                )
                """
            ]
        ),
        (
            // Webhooks refused with 400 or 401, kept bounded for recovery (``Quarantine``);
            // `quarantine_usage` holds their total kept bytes (its row lock orders the gates'
            // trims). An event recovered from it says so in `events.recovered`.
            "v3-quarantine",
            [
                """
                CREATE TABLE rejected (
                    id bigserial PRIMARY KEY,
                    provider text NOT NULL,
                    reason text NOT NULL,
                    received_at bigint NOT NULL,
                    client_ip text,
                    path text NOT NULL,
                    request_id text NOT NULL,
                    headers text NOT NULL,
                    body bytea NOT NULL,
                    body_sha256 text NOT NULL,
                    kept_bytes bigint NOT NULL,
                    recovery text
                )
                """,
                "CREATE INDEX rejected_received ON rejected (received_at)",
                "CREATE INDEX rejected_provider ON rejected (provider, id)",
                "CREATE TABLE quarantine_usage (id integer PRIMARY KEY CHECK (id = 1), requests bigint NOT NULL, bytes bigint NOT NULL)",
                "INSERT INTO quarantine_usage (id, requests, bytes) VALUES (1, 0, 0)",
                "ALTER TABLE events ADD COLUMN recovered text",
            ]
        ),
    ]

    /// Whether the database holds HookGate's tables (its migrations table).
    static func isHookGateDatabase(_ client: PostgresClient, logger: Logger) async throws -> Bool {
        let rows = try await client.query("SELECT to_regclass('hookgate_migrations') IS NOT NULL", logger: logger)
        for try await present in rows.decode(Bool.self) { return present }
        return false
    }

    /// Applies the migrations not yet applied, under the migration lock.
    /// - Throws: the database's error; a failed migration is rolled back whole.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS hookgate_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: logger)
                var applied = Set<String>()
                for try await name in try await connection.query("SELECT name FROM hookgate_migrations", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for migration in migrations where !applied.contains(migration.name) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.statements {
                            try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await transaction.query("INSERT INTO hookgate_migrations (name) VALUES (\(migration.name))", logger: logger)
                    }
                    logger.notice("database migrated", metadata: ["migration": "\(migration.name)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }
}
