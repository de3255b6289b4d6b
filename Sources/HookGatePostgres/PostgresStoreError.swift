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

extension PostgresStoreError: StoreFailure {}

/// postgres-nio's errors are the store's: answered `store_unavailable` by the admin listener.
extension PSQLError: StoreFailure {}
