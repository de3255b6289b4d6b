import GRDB

/// The `WHERE` clause of a filtered query, built one optional condition at a time
/// (the listings take several filters, each of which may be absent).
struct SQLConditions {
    private var clauses: [String] = []
    /// The conditions' values in order; append the query's own (its `LIMIT`) after them.
    private(set) var arguments: StatementArguments = []

    /// Adds `clause` (one `?`) with `value`, unless `value` is `nil`.
    mutating func add(_ clause: String, _ value: (any DatabaseValueConvertible)?) {
        guard let value else { return }
        add(clause, values: [value])
    }

    /// Adds `clause` with its `values`, one per `?`.
    mutating func add(_ clause: String, values: StatementArguments) {
        clauses.append(clause)
        arguments += values
    }

    /// `WHERE` and the conditions joined by `AND`, or nothing when there are none.
    var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}
