/// A PostgreSQL store failure, described without SQL or credentials.
public struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let reason: String

    init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
