import GRDB
import HookGateCore
import HookGatePostgres
import HookGateStore
import Logging
import PostgresNIO
import Testing

/// Which database driver errors mean "the store is unavailable, try later" (`503`) and which
/// are the gate's own fault (`500 internal`): SQLite's result codes, and postgres-nio's
/// errors as a live PostgreSQL server and a closed port raise them.
@Suite struct StoreFailureTests {
    @Test func sqliteErrorsAboutTheFileTheDiskAndLocksAreUnavailability() {
        let unavailable: [ResultCode] = [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_IOERR_WRITE, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_NOMEM]
        for code in unavailable { #expect(DatabaseError(resultCode: code).isUnavailability, "\(code)") }
        let faults: [ResultCode] = [.SQLITE_CONSTRAINT, .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_ERROR, .SQLITE_MISUSE, .SQLITE_MISMATCH, .SQLITE_RANGE, .SQLITE_TOOBIG]
        for code in faults { #expect(!DatabaseError(resultCode: code).isUnavailability, "\(code)") }
        #expect(SQLiteStoreError("not a HookGate database").isUnavailability)
    }

    /// The same rule for a real server's errors: a statement's own error (division by zero,
    /// a unique violation, a syntax error) is a fault; a server that shuts the session down
    /// and a port nothing listens on are unavailability.
    @Test(.enabled(if: TestPostgres.available)) func postgresStatementErrorsAreFaultsAndLostServersAreUnavailability() async throws {
        let url = try DatabaseURL(try #require(TestPostgres.maintenanceURL))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let configuration = PostgresConnection.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        _ = try await connection.query("CREATE TEMP TABLE t (id int UNIQUE)", logger: logger).collect()
        for statement in ["SELECT 1/0", "SELECT * FROM no_such_table", "SELEC 1", "INSERT INTO t VALUES (1), (1)"] {
            let error = await #expect(throws: PSQLError.self) {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
            }
            #expect(error?.isUnavailability == false, "\(statement): \(String(reflecting: error))")
        }
        // The server ends this session (57P01, admin shutdown), then the connection is gone.
        let ended = await #expect(throws: PSQLError.self) {
            _ = try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())", logger: logger).collect()
        }
        #expect(ended?.isUnavailability == true, "\(String(reflecting: ended))")
        let closed = await #expect(throws: PSQLError.self) { _ = try await connection.query("SELECT 1", logger: logger).collect() }
        #expect(closed?.isUnavailability == true, "\(String(reflecting: closed))")
        try? await connection.close()
        // Nothing listens on the port: the connection itself fails.
        let (listener, port) = try RawHTTP.listen(backlog: 1)
        close(listener)
        let refused = await #expect(throws: PSQLError.self) {
            _ = try await PostgresConnection.connect(
                configuration: .init(host: "127.0.0.1", port: port, username: "nobody", password: nil, database: "none", tls: .disable),
                id: 2, logger: logger)
        }
        #expect(refused?.isUnavailability == true, "\(String(reflecting: refused))")
    }
}
