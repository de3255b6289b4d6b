import GRDB

/// The store's migrations, applied in order at open. Never edit a registered
/// migration: add a new one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-events-and-keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY,
                        provider TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        event_type TEXT NOT NULL,
                        body BLOB NOT NULL,
                        body_sha256 TEXT NOT NULL,
                        headers TEXT NOT NULL,
                        client_ip TEXT,
                        request_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        claims TEXT,
                        UNIQUE (provider, event_id)
                    );
                    CREATE INDEX events_received_at ON events (received_at);
                    CREATE TABLE keys (
                        provider TEXT NOT NULL,
                        kid TEXT NOT NULL,
                        jwk TEXT NOT NULL,
                        saved_at INTEGER NOT NULL,
                        PRIMARY KEY (provider, kid)
                    );
                    """)
        }
        migrator.registerMigration("v2-outbox") { db in
            try db.execute(
                sql: """
                    CREATE TABLE deliveries (
                        id INTEGER PRIMARY KEY,
                        event_row INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
                        handler TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'in_flight', 'delivered', 'dead')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL,
                        order_key TEXT,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        last_error TEXT
                    );
                    CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
                    CREATE INDEX deliveries_event ON deliveries (event_row);
                    CREATE INDEX deliveries_order ON deliveries (handler, order_key, id) WHERE order_key IS NOT NULL;
                    CREATE TABLE attempts (
                        id INTEGER PRIMARY KEY,
                        delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
                        number INTEGER NOT NULL,
                        started_at INTEGER NOT NULL,
                        duration_ms REAL NOT NULL,
                        succeeded INTEGER NOT NULL,
                        status_code INTEGER,
                        excerpt TEXT
                    );
                    CREATE INDEX attempts_delivery ON attempts (delivery_id);
                    """)
        }
        migrator.registerMigration("v3-waiting-deliveries-index") { db in
            // The dispatcher's claim walks this index in due order and stops at LIMIT;
            // without it, SQLite sorted every waiting delivery on each claim.
            try db.execute(
                sql: """
                    CREATE INDEX deliveries_waiting ON deliveries (handler, next_attempt_at, id)
                    WHERE status IN ('pending', 'retrying')
                    """)
        }
        migrator.registerMigration("v4-claim-leases") { db in
            // A claim holds a delivery under a lease (renewed while the attempt runs) and a
            // token that the attempt's result must name: the store contract's claim semantics.
            try db.execute(
                sql: """
                    ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
                    ALTER TABLE deliveries ADD COLUMN claim INTEGER;
                    """)
        }
        migrator.registerMigration("v5-leased-deliveries-index") { db in
            // The claim's first query looks for in-flight deliveries whose lease ran out: this
            // index finds them without reading the waiting ones.
            try db.execute(sql: "CREATE INDEX deliveries_leased ON deliveries (handler, lease_until) WHERE status = 'in_flight'")
        }
        migrator.registerMigration("v6-copy-marker") { db in
            // `hookgate store copy` writes this one row with every batch it copies here
            // (``CopyMarker``): which source, how far; without it a target holding data is refused.
            try db.execute(
                sql: """
                    CREATE TABLE copy_marker (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        source TEXT NOT NULL,
                        through_row INTEGER NOT NULL,
                        complete INTEGER NOT NULL,
                        reads_since INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    )
                    """)
        }
        migrator.registerMigration("v7-recovered-events") { db in
            // An event recovered from the quarantine says so (``EventRecovery``, as JSON).
            try db.execute(sql: "ALTER TABLE events ADD COLUMN recovered TEXT")
        }
        return migrator
    }

    /// The quarantine's own database (``SQLiteEventStore/quarantinePath(for:)``): webhooks
    /// refused with 400 or 401, kept bounded for recovery; `quarantine_usage` holds their
    /// total kept bytes, so trimming to the bound does not sum the table.
    static var quarantineMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-rejected") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rejected (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        provider TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        client_ip TEXT,
                        path TEXT NOT NULL,
                        request_id TEXT NOT NULL,
                        headers TEXT NOT NULL,
                        body BLOB NOT NULL,
                        body_sha256 TEXT NOT NULL,
                        kept_bytes INTEGER NOT NULL,
                        recovery TEXT
                    );
                    CREATE INDEX rejected_received ON rejected (received_at);
                    CREATE INDEX rejected_provider ON rejected (provider, id);
                    CREATE TABLE quarantine_usage (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        requests INTEGER NOT NULL,
                        bytes INTEGER NOT NULL
                    );
                    INSERT INTO quarantine_usage (id, requests, bytes) VALUES (1, 0, 0);
                    """)
        }
        return migrator
    }
}
