#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files that hold webhook bodies (the SQLite database and its WAL and shared-memory
/// files, the file handler's output) are the owner's alone: mode 0600 whatever the
/// process's umask. (Exported captures get theirs from `FileManager.createFile`'s
/// attributes, which are set after the write, whatever the umask, too.)
///
/// `open(2)`'s mode is filtered by the umask, so a file is created 0600 and then given
/// 0600 again with `fchmod`, which the umask does not touch. Only files created here
/// are changed; an existing file keeps the mode its owner gave it.
package enum PrivateFile {
    /// The mode of every file HookGate creates for data.
    package static let mode: mode_t = 0o600

    /// Creates an empty file at `path`, mode 0600, unless something exists there.
    /// - Returns: whether this call created it (false when it existed or could not be
    ///   created; whoever opens it next reports that).
    @discardableResult
    package static func createIfMissing(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        _ = fchmod(fd, mode)
        close(fd)
        return true
    }

    /// Opens `path` for appending, creating it mode 0600 when missing.
    /// - Returns: the descriptor (close-on-exec, the caller closes it), or -1 with `errno` set.
    package static func openForAppending(_ path: String) -> Int32 {
        let created = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if created >= 0 {
            _ = fchmod(created, mode)
            return created
        }
        guard errno == EEXIST else { return -1 }
        return open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    }
}
