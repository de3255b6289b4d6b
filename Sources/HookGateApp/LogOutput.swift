import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the gate's log lines go: one file descriptor (standard error by default), each
/// line written whole under a lock, so lines from the event loops, the task pool and the
/// store's writer never interleave.
///
/// It also keeps the text line's timestamp (`2026-11-22T15:12:48+0000`, local time, the
/// format of swift-log's `StreamLogHandler`), formatted at most once per second: taken,
/// like the write, under the lock, so lines leave in timestamp order.
///
/// A write that fails (a closed pipe, a full disk) drops the rest of that line, as
/// `fwrite` to an unbuffered `stderr` does; the gate goes on. An interrupted or partial
/// write is resumed.
package final class LogOutput: Sendable {
    /// The process's standard error (file descriptor 2).
    package static let standardError = LogOutput(fileDescriptor: 2)

    private let fileDescriptor: Int32
    private let stamp = Mutex<(second: Int, text: [UInt8])>((-1, []))

    /// Writes to `fileDescriptor`, which the caller keeps open for as long as this output is used.
    package init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Writes `line` (which ends with its own newline) as it is.
    package func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            stamp.withLock { _ in Self.writeAll(fileDescriptor, [UnsafeRawBufferPointer(bytes)]) }
        }
    }

    /// Writes the current local time as `%Y-%m-%dT%H:%M:%S%z`, then `rest` (which starts
    /// with the separator and ends with the newline), in one system call.
    package func writeStamped(_ rest: String) {
        var rest = rest
        rest.withUTF8 { bytes in
            stamp.withLock { cached in
                let second = time(nil)
                if cached.second != second { cached = (second, Self.localTimestamp(second)) }
                cached.text.withUnsafeBytes { text in Self.writeAll(fileDescriptor, [text, UnsafeRawBufferPointer(bytes)]) }
            }
        }
    }

    /// `second` (since 1970) in local time as `StreamLogHandler` prints it: `%Y-%m-%dT%H:%M:%S%z`.
    static func localTimestamp(_ second: Int) -> [UInt8] {
        var time = time_t(second)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil else { return Array("<unknown>".utf8) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress!, $0.count, "%Y-%m-%dT%H:%M:%S%z", &parts) }
        }
        return Array(buffer[..<count])
    }

    /// Writes every byte of `parts`, in order: one `writev` unless it is interrupted or partial.
    private static func writeAll(_ fileDescriptor: Int32, _ parts: [UnsafeRawBufferPointer]) {
        var parts = parts.filter { !$0.isEmpty }
        while !parts.isEmpty {
            var vectors = parts.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            let written = writev(fileDescriptor, &vectors, Int32(vectors.count))
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            var skipped = written
            while let first = parts.first, skipped >= first.count {
                skipped -= first.count
                parts.removeFirst()
            }
            if skipped > 0 { parts[0] = UnsafeRawBufferPointer(rebasing: parts[0][skipped...]) }
        }
    }
}
