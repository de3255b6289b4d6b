/// A mistake in what a command was given (a missing file, an unknown provider): the
/// command reports ``message`` as a usage error.
public struct ToolError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the file or value.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
