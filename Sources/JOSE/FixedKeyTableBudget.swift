import Foundation

/// A bound on how many ``FixedKeyVerifier`` tables exist at once, and so on their memory
/// (``FixedKeyVerifier/tableBytes`` each).
///
/// A table is reserved when a verifier is made and released when it is freed. Past the
/// limit, making a verifier throws and the key keeps OpenSSL's standard verify: slower,
/// never wrong.
public final class FixedKeyTableBudget: @unchecked Sendable {
    /// The budget every key uses unless told otherwise: 64 tables, about 9.3 MiB.
    public static let process = FixedKeyTableBudget(limit: 64)

    /// The most tables alive at once.
    public let limit: Int
    private let lock = NSLock()
    private var live = 0  // under lock

    /// Creates a budget of `limit` tables.
    public init(limit: Int) { self.limit = limit }

    /// Tables alive now.
    public var inUse: Int { lock.withLock { live } }

    /// The memory the tables alive now hold, in bytes.
    public var bytesInUse: Int { inUse * FixedKeyVerifier.tableBytes }

    /// Takes one table from the budget; `false` when the limit is reached.
    func reserve() -> Bool {
        lock.withLock {
            guard live < limit else { return false }
            live += 1
            return true
        }
    }

    /// Gives back a table taken with ``reserve()``.
    func release() { lock.withLock { live -= 1 } }
}
