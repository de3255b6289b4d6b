/// Why a configuration was refused: every problem found, each naming the key at fault
/// (`providers.plaid.max_age: must be a whole number of seconds, got "5m"`), or the file
/// that could not be read at all.
///
/// Equality compares the ``code``.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of refusal this is; stable, for callers that choose an exit status or a hint.
    public enum Code: String, Sendable {
        /// The file was read; its content has the ``ConfigurationError/problems``.
        case invalid = "invalid_configuration"
        /// No file at the path given.
        case noSuchFile = "no_such_file"
        /// A file is there but cannot be read as text (a folder, permissions, not UTF-8).
        case unreadableFile = "unreadable_file"
    }

    /// One problem: the dotted key path and what is wrong with it.
    public struct Problem: Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// The kind of refusal.
    public let code: Code
    /// All problems, in file order.
    public let problems: [Problem]

    public init(problems: [Problem]) {
        code = .invalid
        self.problems = problems
    }

    public init(path: String, _ message: String) {
        code = .invalid
        problems = [Problem(path: path, message: message)]
    }

    /// A file that could not be read: `file` is the path as given, `message` what is wrong.
    public init(code: Code, file: String, _ message: String) {
        self.code = code
        problems = [Problem(path: file, message: message)]
    }

    public var description: String {
        switch code {
        case .invalid: return "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .noSuchFile, .unreadableFile: return problems.map(\.description).joined(separator: "; ")
        }
    }

    public static func == (lhs: ConfigurationError, rhs: ConfigurationError) -> Bool { lhs.code == rhs.code }
}
