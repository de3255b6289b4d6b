import Foundation
import Synchronization

/// A progress bar on standard error, only on a terminal (scripts get the summary alone).
final class ReplayProgress: Sendable {
    let total: Int
    let enabled: Bool
    private let done = Mutex(0)

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func advance() {
        let count = done.withLock { value -> Int in
            value += 1
            return value
        }
        guard enabled, count == total || count % max(1, total / 100) == 0 else { return }
        let width = 40
        let filled = width * count / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(count)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
