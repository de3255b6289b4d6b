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
    /// a missing table, a syntax error, a unique violation) is a fault; a statement the
    /// server cancels at its `statement_timeout` (57014) and a server that closes the
    /// connection at once are unavailability.
    @Test(.enabled(if: TestPostgres.available), .timeLimit(.minutes(1)))
    func postgresStatementErrorsAreFaultsAndLostServersAreUnavailability() async throws {
        let url = try DatabaseURL(try #require(TestPostgres.maintenanceURL))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var configuration = PostgresConnection.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        _ = try await connection.query("CREATE TEMP TABLE t (id int UNIQUE)", logger: logger).collect()
        for statement in ["SELECT 1/0", "SELECT * FROM no_such_table", "SELEC 1", "INSERT INTO t VALUES (1), (1)"] {
            let error = await #expect(throws: PSQLError.self) {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
            }
            #expect(error?.isUnavailability == false, "\(statement): \(String(reflecting: error))")
        }
        _ = try await connection.query("SET statement_timeout = 50", logger: logger).collect()
        let cancelled = await #expect(throws: PSQLError.self) {
            _ = try await connection.query("SELECT pg_sleep(5)", logger: logger).collect()
        }
        #expect(cancelled?.serverInfo?[.sqlState] == "57014", "\(String(reflecting: cancelled))")
        #expect(cancelled?.isUnavailability == true, "\(String(reflecting: cancelled))")
        try await connection.close()
        // A "server" that closes every connection as soon as it has accepted it.
        let (listener, port) = try RawHTTP.listen(backlog: 4)
        defer { shutdown(listener, Int32(SHUT_RDWR)) }
        RawHTTP.serveOnThreads(listener) { close($0) }
        var closing = PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: "nobody", password: nil, database: "none", tls: .disable)
        closing.options.connectTimeout = .seconds(10)
        let closed = await #expect(throws: PSQLError.self) {
            _ = try await PostgresConnection.connect(configuration: closing, id: 2, logger: logger)
        }
        #expect(closed?.isUnavailability == true, "\(String(reflecting: closed))")
    }
}
