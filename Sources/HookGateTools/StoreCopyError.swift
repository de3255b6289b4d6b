/// Why `hookgate store copy` refused or stopped: a stable ``code`` for scripts and tests, and a
/// ``reason`` that says what to do. Equality compares the code.
package struct StoreCopyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The stable codes.
    package enum Code: String, Sendable {
        /// The target holds events, deliveries or keys that no copy of this source wrote.
        case targetNotEmpty = "target_not_empty"
        /// The target holds a copy of another source.
        case otherSource = "other_source"
        /// The target holds a finished copy of this source; `--since-last` brings over what changed since.
        case alreadyCopied = "already_copied"
        /// `--since-last` was given but the target holds no earlier copy.
        case noEarlierCopy = "no_earlier_copy"
        /// Source and target are the same store.
        case sameStore = "same_store"
        /// The copy stopped after the number of batches it was told to (`--stop-after-batches`); run it again to finish.
        case stopped = "stopped"
    }

    /// The stable code.
    package let code: Code
    /// What happened and what to do, naming the stores (never a password).
    package let reason: String
    /// The source file that raised the error.
    package let file: String
    /// The source line that raised the error.
    package let line: Int

    /// An error with `code`, saying `reason`.
    package init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    package static func == (lhs: StoreCopyError, rhs: StoreCopyError) -> Bool { lhs.code == rhs.code }
    package var description: String { "\(code.rawValue): \(reason)" }
}
