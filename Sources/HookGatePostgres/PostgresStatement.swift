import PostgresNIO

/// A statement built a piece at a time: SQL text with `$n` placeholders and their binds in
/// step, for the multi-row statements (group commit, batch completion) and the filtered
/// listings whose shape depends on the input. Values always travel as binds, never as text.
struct PostgresStatement {
    private(set) var sql = ""
    private(set) var binds = PostgresBindings()

    init(_ sql: String = "") {
        self.sql = sql
    }

    /// Appends SQL text.
    mutating func append(_ text: String) {
        sql += text
    }

    /// Binds `value` (NULL for `nil`) and returns its placeholder, cast to `type`.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?, as type: String) -> String {
        binds.append(value)
        return "$\(binds.count)::\(type)"
    }

    /// Binds `value` whatever its concrete type (NULL for `nil`) and returns its placeholder.
    mutating func bind(any value: (any PostgresDynamicTypeEncodable)?, as type: String) -> String {
        guard let value else {
            binds.appendNull()
            return "$\(binds.count)::\(type)"
        }
        return bind(opened: value, as: type)
    }

    private mutating func bind<Value: PostgresDynamicTypeEncodable>(opened value: Value, as type: String) -> String {
        bind(value, as: type)
    }

    /// The query to run.
    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
