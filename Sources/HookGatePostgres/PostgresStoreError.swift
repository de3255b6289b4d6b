import HookGateCore
import PostgresNIO

/// A PostgreSQL store failure, described without SQL or credentials.
package struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    package let reason: String

    init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { reason }
}

/// The store's own PostgreSQL failures (an unusable database, a run not started) are unavailability.
extension PostgresStoreError: StoreFailure {
    package var isUnavailability: Bool { true }
}

/// postgres-nio's errors: the connection, authentication and pool failures, and the
/// server's errors of the classes that mean it cannot serve now, are unavailability
/// (`store_unavailable`); a server error about the statement itself, or a message the
/// client could not encode or decode, is the gate's fault (`internal`).
extension PSQLError: StoreFailure {
    package var isUnavailability: Bool {
        switch code {
        case .server:
            guard let state = serverInfo?[.sqlState] else { return true }
            // 08 connection exception, 53 insufficient resources, 57 operator intervention
            // (shutdown, statement timeout), 58 system error; a serialization failure, a
            // deadlock, a read-only standby and a lock not available are retried later too.
            return ["08", "53", "57", "58"].contains(String(state.prefix(2))) || ["40001", "40P01", "25006", "55P03"].contains(state)
        case .tooManyParameters, .invalidCommandTag, .messageDecodingFailure, .unexpectedBackendMessage:
            return false
        default:
            return true
        }
    }
}
