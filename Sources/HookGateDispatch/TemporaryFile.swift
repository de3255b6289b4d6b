import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Unlinked temporary files: a descriptor with no name on disk (owner-only while it
/// had one), freed when the last descriptor closes. Exec handlers read their body from
/// one and write their output into others.
enum TemporaryFile {
    /// A close-on-exec descriptor of a new unlinked file holding exactly `bytes`,
    /// positioned at its start; or why it could not be made (nothing is left behind).
    static func holding(_ bytes: [UInt8]) -> Result<Int32, TemporaryFileError> {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/hookgate-exec-XXXXXX".utf8CString)
        // Created and marked close-on-exec under the spawn lock, so no handler spawned
        // meanwhile inherits it (and with it another event's body).
        let fd = descriptorLock.withLock { _ -> Int32 in
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
        guard fd >= 0 else { return .failure(TemporaryFileError(errno: errno, what: "create in \(directory)")) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let failure = TemporaryFileError(errno: count < 0 ? errno : ENOSPC, what: "write \(bytes.count) bytes")
                close(fd)
                return .failure(failure)
            }
            written += count
        }
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            let failure = TemporaryFileError(errno: errno, what: "rewind")
            close(fd)
            return .failure(failure)
        }
        return .success(fd)
    }

    /// Up to `count` bytes from the start of the file behind `fd`.
    static func prefix(of fd: Int32, count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        return read > 0 ? Array(buffer.prefix(read)) : []
    }
}

/// Held while a descriptor is created and made close-on-exec, and while a process is spawned.
let descriptorLock = Mutex(())

/// Why a temporary file could not be made.
struct TemporaryFileError: Error, CustomStringConvertible {
    let errno: Int32
    let what: String
    var description: String { "cannot \(what): \(String(cString: strerror(errno)))" }
}
