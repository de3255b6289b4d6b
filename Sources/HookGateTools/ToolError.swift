/// A mistake in what a command was given (a missing file, an unknown provider): the
/// command reports ``message`` as a usage error.
package struct ToolError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the file or value.
    package let message: String

    /// An error saying `message`.
    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}
