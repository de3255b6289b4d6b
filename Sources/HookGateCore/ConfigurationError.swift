/// Why a configuration was refused: every problem found, each naming the key at fault
/// (`providers.plaid.max_age: must be a whole number of seconds, got "5m"`).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// One problem: the dotted key path and what is wrong with it.
    public struct Problem: Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// All problems, in file order.
    public let problems: [Problem]

    public init(problems: [Problem]) {
        self.problems = problems
    }

    public init(path: String, _ message: String) {
        problems = [Problem(path: path, message: message)]
    }

    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
