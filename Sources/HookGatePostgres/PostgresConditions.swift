import PostgresNIO

/// The `WHERE` clause of a filtered listing, built one optional condition at a time; each
/// condition's `?` becomes a bound, typed placeholder.
struct PostgresConditions {
    private var clauses: [(text: String, values: [(any PostgresDynamicTypeEncodable)?], types: [String])] = []

    /// Adds `clause` (one `?`) with `value`, unless `value` is `nil`.
    mutating func add<Value: PostgresDynamicTypeEncodable>(_ clause: String, _ value: Value?, as type: String) {
        guard let value else { return }
        clauses.append((clause, [value], [type]))
    }

    /// Adds `clause` with its values (`nil` binds NULL), one per `?`, in order.
    mutating func add(_ clause: String, values: [(any PostgresDynamicTypeEncodable)?], types: [String]) {
        clauses.append((clause, values, types))
    }

    /// `prefix`, then `WHERE` and the conditions joined by `AND` (or nothing), with their binds.
    func statement(prefix: String) -> PostgresStatement {
        var statement = PostgresStatement(prefix)
        for (number, clause) in clauses.enumerated() {
            statement.append(number == 0 ? " WHERE " : " AND ")
            var text = Substring(clause.text)
            for (value, type) in zip(clause.values, clause.types) {
                guard let mark = text.firstIndex(of: "?") else { break }
                statement.append(String(text[..<mark]))
                let placeholder = statement.bind(any: value, as: type)
                statement.append(placeholder)
                text = text[text.index(after: mark)...]
            }
            statement.append(String(text))
        }
        return statement
    }
}
