import GRDB
import HookGateCore

/// A SQLite store failure that is not SQLite's own error (a file that is not a HookGate database).
package struct SQLiteStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the file.
    package let reason: String

    package init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { reason }
}

/// A file that is not a HookGate database cannot be used: unavailable.
extension SQLiteStoreError: StoreFailure {
    package var isUnavailability: Bool { true }
}

/// SQLite's own errors: the ones about the file, the disk, locks and memory mean the
/// database cannot be used now (`store_unavailable`); the rest (a constraint, an SQL
/// error, a misuse) are the gate's fault (`internal`).
extension DatabaseError: StoreFailure {
    package var isUnavailability: Bool {
        switch resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM, .SQLITE_READONLY, .SQLITE_INTERRUPT, .SQLITE_IOERR, .SQLITE_CORRUPT,
            .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_PROTOCOL, .SQLITE_NOTADB, .SQLITE_PERM, .SQLITE_AUTH:
            true
        default:
            false
        }
    }
}
