/// An error a store backend raises when its database cannot be read or written (a
/// connection lost, a file locked, full or unreadable): the backends mark their database
/// driver's errors with it (GRDB's `DatabaseError` in HookGateStore, postgres-nio's
/// `PSQLError` in HookGatePostgres), so that the admin listener answers them
/// `503 {"error":"store_unavailable"}` with `Retry-After`, and every other unexpected
/// error `500 {"error":"internal"}`.
public protocol StoreFailure: Error {}
