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
        return migrator
    }
}
