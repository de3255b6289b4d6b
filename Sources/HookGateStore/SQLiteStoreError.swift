/// A SQLite store failure that is not SQLite's own error (a file that is not a HookGate database).
public struct SQLiteStoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the file.
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
