/// A PostgreSQL store failure, described without SQL or credentials.
package struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    package let reason: String

    init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { reason }
}
