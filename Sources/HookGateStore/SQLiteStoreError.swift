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

extension SQLiteStoreError: StoreFailure {}

/// SQLite's own errors are the store's: answered `store_unavailable` by the admin listener.
extension DatabaseError: StoreFailure {}
