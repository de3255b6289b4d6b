/// An error a store backend raises from its database driver. The backends mark their
/// driver's errors with it (GRDB's `DatabaseError` in HookGateStore, postgres-nio's
/// `PSQLError` in HookGatePostgres) and say which of them mean the database could not be
/// used just now: those the admin listener answers `503 {"error":"store_unavailable"}`
/// with `Retry-After`. Every other error (a constraint, an SQL mistake: a fault of the
/// gate's, not of the database's) is `500 {"error":"internal"}`, its cause in the log.
package protocol StoreFailure: Error {
    /// True when the database could not be reached or used (connection lost, disk full or
    /// failing, file locked or unreadable, server shutting down or out of resources): a
    /// later try may succeed. False for a fault in the gate's own use of the database.
    var isUnavailability: Bool { get }
}
